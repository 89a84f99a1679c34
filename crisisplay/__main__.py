from crisisplay.entry import main

main()

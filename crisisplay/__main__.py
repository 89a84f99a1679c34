from crisisplay.cli import main

main()

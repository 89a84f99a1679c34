"""crisisplay: a command-line crisis playbook runner."""

__version__ = "0.1.0"

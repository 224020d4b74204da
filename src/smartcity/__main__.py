"""Allow `python -m smartcity`."""

from smartcity.cli import main

main()

#!/usr/bin/env python
from careweave.cli import main

if __name__ == "__main__":
    main()

"""The GitHub edge: the only modules that import PyGithub (STYLE.md §2)."""

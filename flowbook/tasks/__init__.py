"""Tasks that flowbook adds to flows for you: constants, collections, and control flow."""

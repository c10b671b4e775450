//! Ctrl-C handling.

//! Progress bar.

//! `memory.bandwidth` end to end on this machine: the kernels on every
//! instruction set it runs, the pinned pool, records with validation and
//! placement, and bad input.

mod bad_input;
mod common;
mod kernels;
mod pool;
mod records;

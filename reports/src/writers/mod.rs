//! The report's files: HTML, Markdown and CSV, one small module each,
//! each returning bytes.

pub mod csv;
pub mod escape;
pub mod html;
pub mod markdown;
mod relative_text;

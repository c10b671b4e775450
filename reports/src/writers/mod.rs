//! The report's files: HTML, Markdown and CSV, one small module each,
//! each returning bytes.

pub mod csv;
pub mod escape;
mod glance_text;
pub mod html;
mod html_glance;
pub mod markdown;
mod relative_text;
pub mod report_json;

//! The text people read: answers as plain text and escaped HTML in the conference's zone
//! ([`render`], [`message`]), and the questions exported as Markdown, CSV or JSON
//! ([`export`]).

pub mod export;
pub mod message;
pub mod posts;
pub mod render;

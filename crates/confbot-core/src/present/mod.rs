//! The text people read: answers as plain text and escaped HTML in the conference's zone
//! ([`render`], [`message`]), the replies to commands that change something
//! ([`replies`], [`personal`]) and to those refused ([`refusal`]), the bot's own posts
//! ([`posts`]), the live question board of a session ([`board`]), and the questions
//! exported as Markdown, CSV or JSON ([`export`]).

pub mod board;
pub mod cue;
pub mod export;
pub mod help;
pub mod message;
pub mod personal;
pub mod posts;
pub mod refusal;
pub mod render;
pub mod replies;
pub mod topic;

//! What is wrong with a schedule, said so that the organizer can fix it: the file, the line,
//! the session, and what to do.

use super::Schedule;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a schedule document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file (or other source) the schedule came from.
    pub source: String,
    pub line: Option<usize>,
    pub session: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Diagnostic {
    pub fn error(source: &str, line: Option<usize>, session: Option<&str>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            source: source.to_string(),
            line,
            session: session.map(str::to_string),
            message: message.into(),
        }
    }

    pub fn warning(source: &str, line: Option<usize>, session: Option<&str>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(source, line, session, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {label}: ")?;
        if let Some(session) = &self.session {
            write!(f, "session '{session}': ")?;
        }
        f.write_str(&self.message)
    }
}

/// Maps byte offsets in a document to 1-based line numbers, for messages.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// The line holding byte `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

/// A schedule that was read, with what the organizer should still look at.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub schedule: Schedule,
    pub warnings: Vec<Diagnostic>,
}

/// A schedule that cannot be used; every error found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleErrors(pub Vec<Diagnostic>);

impl fmt::Display for ScheduleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.0.iter().filter(|d| d.is_error()).count();
        write!(
            f,
            "the schedule has {errors} error{}:",
            if errors == 1 { "" } else { "s" }
        )?;
        for diagnostic in &self.0 {
            write!(f, "\n  {diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScheduleErrors {}

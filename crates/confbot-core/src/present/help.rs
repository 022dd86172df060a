//! `!help`: the commands a user may use, and how to use one of them.

use crate::command::{written, Role, Spec, COMMANDS};
use crate::present::message::Message;

/// The commands open to `role`, one line each, in the table's order.
pub fn list(role: Role) -> Message {
    let mut message = Message::new();
    message.text("Commands:");
    for spec in COMMANDS.iter().filter(|spec| spec.role <= role) {
        message
            .line_break()
            .text("  ")
            .command_code(&written(spec))
            .text(&format!(" — {}", spec.summary));
    }
    message
        .line_break()
        .text("Send ")
        .command_code("help COMMAND")
        .text(" for one in full.");
    message
}

/// One command in full: how to write it, what it does (and who may), an example, its
/// other names.
pub fn one(spec: &Spec) -> Message {
    let mut message = Message::new();
    message
        .command_code(&written(spec))
        .text(&format!(" — {}", spec.summary));
    message.line_break().text("Example: ").command_code(spec.example);
    for (i, alias) in spec.aliases.iter().enumerate() {
        if i == 0 {
            message.line_break().text("Also: ");
        } else {
            message.text(", ");
        }
        message.command(alias);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::find;

    #[test]
    fn help_on_one_command_gives_its_usage_an_example_and_its_other_names() {
        assert_eq!(
            one(find("session").unwrap()).body(),
            "!session ID | WORDS — one session in full\nExample: !session rocky\nAlso: !talk"
        );
        assert_eq!(
            one(find("delay").unwrap()).body(),
            "!delay [ROOM] DURATION — the current session and the rest of the day move by DURATION (organizers)\nExample: !delay Pagoda room 10m"
        );
    }

    #[test]
    fn every_example_is_a_command_the_parser_reads_as_itself() {
        for spec in COMMANDS {
            let parsed = crate::command::Command::read(spec.example);
            assert!(
                matches!(&parsed, Ok(Some(command)) if command.name() == spec.name),
                "{}: {parsed:?}",
                spec.example
            );
        }
    }
}

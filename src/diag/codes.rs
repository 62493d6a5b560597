//! Every stable diagnostic code (SPEC §11, §6.5) with its one-line meaning.

use std::fmt;

/// A stable diagnostic code. The text form (`E0101`) is part of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// E0001 syntax error (including `a < b < c` and impossible dates).
    E0001,
    /// E0101 unknown name.
    E0101,
    /// E0102 unknown action, event or argument.
    E0102,
    /// E0103 missing argument.
    E0103,
    /// E0104 type mismatch.
    E0104,
    /// E0105 wrong context.
    E0105,
    /// E0106 duplicate definition.
    E0106,
    /// E0107 invalid declaration.
    E0107,
    /// W0201 dead-rule.
    W0201,
    /// W0202 move-loop.
    W0202,
    /// W0203 unused-let.
    W0203,
    /// W0204 no-success-stage.
    W0204,
    /// W0205 backward-only-trigger.
    W0205,
    /// W0206 shadowed-trigger.
    W0206,
}

impl Code {
    pub const ALL: [Code; 14] = [
        Code::E0001,
        Code::E0101,
        Code::E0102,
        Code::E0103,
        Code::E0104,
        Code::E0105,
        Code::E0106,
        Code::E0107,
        Code::W0201,
        Code::W0202,
        Code::W0203,
        Code::W0204,
        Code::W0205,
        Code::W0206,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::E0001 => "E0001",
            Code::E0101 => "E0101",
            Code::E0102 => "E0102",
            Code::E0103 => "E0103",
            Code::E0104 => "E0104",
            Code::E0105 => "E0105",
            Code::E0106 => "E0106",
            Code::E0107 => "E0107",
            Code::W0201 => "W0201",
            Code::W0202 => "W0202",
            Code::W0203 => "W0203",
            Code::W0204 => "W0204",
            Code::W0205 => "W0205",
            Code::W0206 => "W0206",
        }
    }

    /// The one-line meaning; for lints, their kebab-case name.
    pub fn meaning(self) -> &'static str {
        match self {
            Code::E0001 => "syntax error",
            Code::E0101 => "unknown name",
            Code::E0102 => "unknown action, event or argument",
            Code::E0103 => "missing argument",
            Code::E0104 => "type mismatch",
            Code::E0105 => "wrong context",
            Code::E0106 => "duplicate definition",
            Code::E0107 => "invalid declaration",
            Code::W0201 => "dead-rule",
            Code::W0202 => "move-loop",
            Code::W0203 => "unused-let",
            Code::W0204 => "no-success-stage",
            Code::W0205 => "backward-only-trigger",
            Code::W0206 => "shadowed-trigger",
        }
    }

    /// The lint name of a warning code (`dead-rule`), `None` for errors.
    pub fn lint_name(self) -> Option<&'static str> {
        self.is_warning().then(|| self.meaning())
    }

    pub fn is_warning(self) -> bool {
        self.as_str().starts_with('W')
    }

    pub fn severity(self) -> super::Severity {
        if self.is_warning() {
            super::Severity::Warning
        } else {
            super::Severity::Error
        }
    }

    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

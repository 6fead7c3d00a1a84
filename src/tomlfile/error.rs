//! File errors: every problem in a file, each as `path:line:column: message`, or the reason
//! the file could not be read.

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem at one place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong and what would be right, as a sentence.
    pub message: String,
}

/// What kind of file it is, for the wording of read errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// The service config (`pupitre.toml`).
    Config,
    /// A controller mapping (`mappings/*.toml`).
    Mapping,
    /// A file pupitre wrote in its state folder (`settings.toml`).
    State,
    /// Scenes and settings exported to JSON or XML (`pupitre export`).
    Export,
}

/// Why a file was refused.
#[derive(Debug)]
pub struct FileError {
    path: PathBuf,
    kind: FileKind,
    problem: Problem,
}

#[derive(Debug)]
enum Problem {
    Read(io::Error),
    Invalid(Vec<Diagnostic>),
}

impl FileError {
    /// The file could not be read.
    pub fn read(path: &Path, kind: FileKind, err: io::Error) -> FileError {
        FileError {
            path: path.to_owned(),
            kind,
            problem: Problem::Read(err),
        }
    }

    /// The file was read and has these problems.
    pub fn invalid(path: &Path, kind: FileKind, diagnostics: Vec<Diagnostic>) -> FileError {
        FileError {
            path: path.to_owned(),
            kind,
            problem: Problem::Invalid(diagnostics),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every problem found, in file order; empty when the file could not be read.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match &self.problem {
            Problem::Invalid(d) => d,
            Problem::Read(_) => &[],
        }
    }

    /// Why the file could not be read, if that was the problem.
    pub fn io_error(&self) -> Option<&io::Error> {
        match &self.problem {
            Problem::Read(e) => Some(e),
            Problem::Invalid(_) => None,
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        let what = match self.kind {
            FileKind::Config => "config file",
            FileKind::Mapping => "mapping file",
            FileKind::State => "saved state",
            FileKind::Export => "export file",
        };
        match &self.problem {
            Problem::Read(e)
                if e.kind() == io::ErrorKind::NotFound && self.kind == FileKind::Config =>
            {
                write!(
                    f,
                    "{path}: cannot read the config file: {e}; to start, copy \
                     pupitre.example.toml to {path} and edit it"
                )
            }
            Problem::Read(e) => write!(f, "{path}: cannot read the {what}: {e}"),
            Problem::Invalid(diagnostics) => {
                for (i, d) in diagnostics.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{path}:{}:{}: {}", d.line, d.column, d.message)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            Problem::Read(e) => Some(e),
            Problem::Invalid(_) => None,
        }
    }
}

/// Collects diagnostics against one text, turning byte spans into line and column.
pub struct Diagnostics<'a> {
    text: &'a str,
    found: Vec<Diagnostic>,
}

impl<'a> Diagnostics<'a> {
    /// Problems in `text`.
    pub fn new(text: &'a str) -> Self {
        Diagnostics {
            text,
            found: Vec::new(),
        }
    }

    /// Records a problem at the start of `span`.
    pub fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = line_column(self.text, span.start);
        self.found.push(Diagnostic {
            line,
            column,
            message: message.into(),
        });
    }

    /// Records a problem about a whole line (e.g. a control found to clash with another).
    pub fn at_line(&mut self, line: usize, message: impl Into<String>) {
        self.found.push(Diagnostic {
            line,
            column: 1,
            message: message.into(),
        });
    }

    /// The 1-based line of a byte offset, for messages that refer to an earlier place.
    pub fn line_of(&self, offset: usize) -> usize {
        line_column(self.text, offset).0
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// The problems in file order (stable: same place keeps the order found).
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.found.sort_by_key(|d| (d.line, d.column));
        self.found
    }
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end or inside a
/// character are clamped rather than trusted.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (1, 5));
        assert_eq!(line_column(text, 6), (2, 1));
        // "é" is two bytes but one column.
        assert_eq!(line_column(text, 9), (2, 3));
        // Inside "é", and past the end: clamped.
        assert_eq!(line_column(text, 8), (2, 2));
        assert_eq!(line_column(text, 999), (3, 1));
    }
}

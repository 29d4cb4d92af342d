//! The contract operations (`../shared/contract`, vendored in `tests/contract/` so that a clone
//! runs on its own; a test checks the copy is current where `../shared` exists).

use std::path::PathBuf;

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/contract")
}

/// The whole document of a contract file (e.g. `"auth"`); operations are picked by name.
pub fn document(file: &str) -> String {
    let path = dir().join(format!("{file}.graphql"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One operation of a contract file with the fragments it spreads (transitively), as written.
/// A server validates every operation of the document it is sent, so a file that also holds
/// operations not served yet can still have this one run on its own.
pub fn operation(file: &str, name: &str) -> String {
    let document = document(file);
    let definitions = definitions(&document);
    let find = |wanted: &str| {
        definitions
            .iter()
            .find(|(n, _)| n == wanted)
            .map(|(_, text)| text.clone())
            .unwrap_or_else(|| panic!("no definition {wanted} in {file}.graphql"))
    };
    let mut parts = vec![find(name)];
    let mut included = vec![name.to_owned()];
    let mut i = 0;
    while i < parts.len() {
        for spread in spreads(&parts[i]) {
            if !included.contains(&spread) {
                parts.push(find(&spread));
                included.push(spread);
            }
        }
        i += 1;
    }
    parts.join("\n\n")
}

/// The top-level definitions of a document: (name, text), comments and strings skipped when
/// counting braces.
fn definitions(document: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let (mut depth, mut start) = (0usize, None);
    let mut chars = document.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => while chars.next_if(|&(_, c)| c != '\n').is_some() {},
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0
                    && let Some(from) = start.take()
                {
                    let text = &document[from..=i];
                    let name = text
                        .split_whitespace()
                        .nth(1)
                        .map(|n| {
                            n.chars()
                                .take_while(|c| c.is_alphanumeric() || *c == '_')
                                .collect::<String>()
                        })
                        .unwrap_or_default();
                    found.push((name, text.to_owned()));
                }
            }
            c if depth == 0 && start.is_none() && c.is_alphabetic() => start = Some(i),
            _ => {}
        }
    }
    found
}

/// Fragment names spread in a definition (`...Name`, not `... on Type`).
fn spreads(text: &str) -> Vec<String> {
    text.split("...")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && name != "on").then_some(name)
        })
        .collect()
}

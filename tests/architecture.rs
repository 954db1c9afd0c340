//! The source's shape, checked: no import circle of more than three files in `src/`, panes
//! never reach into `update`, and no source file is longer than 500 lines. Files are nodes; a
//! `use crate::...` / `super::...` path, or one written inline, is an edge to the file that
//! defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/console/update/mod.rs` is `console::update`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code without comments, string literals and inline test modules (whose `super`
/// is the file itself).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for n in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if n == '\\' {
                        escaped = true;
                    } else if n == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            // A char literal like '"' must not open a string.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\"'") || rest.starts_with("\\\"") {
                    chars.nth(rest.find('\'').unwrap_or(1));
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path a file names, from `use` trees and inline `crate::` / `super::` paths.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for (i, _) in code.match_indices("use ") {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = code[i..].find(';') else {
            continue;
        };
        expand(&[], code[i + 4..i + end].trim(), &mut paths);
    }
    let bytes: Vec<char> = code.chars().collect();
    let text: String = bytes.iter().collect();
    for start in ["crate::", "super::"] {
        for (i, _) in text.match_indices(start) {
            let path: String = text[i..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    paths
}

/// `a::{b, c::{d}}` into `a::b` and `a::c::d`.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned())
            .collect();
        let mut base = prefix.to_vec();
        base.extend(head);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut depth, mut last) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&base, &inner[last..i], out);
                    last = i + 1;
                }
                _ => {}
            }
        }
        expand(&base, &inner[last..], out);
        return;
    }
    let name = tree.split(" as ").next().unwrap_or(tree).trim();
    if name.is_empty() {
        return;
    }
    let mut path = prefix.to_vec();
    path.extend(name.split("::").map(|s| s.trim().to_owned()));
    out.push(path);
}

struct Graph {
    files: Vec<PathBuf>,
    edges: BTreeMap<usize, BTreeSet<usize>>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let by_module: BTreeMap<Vec<String>, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (module_of(&src, f), i))
        .collect();
    let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (i, file) in files.iter().enumerate() {
        let me = module_of(&src, file);
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for path in paths_in(&code) {
            let segments: Vec<String> = match path.first().map(String::as_str) {
                Some("crate") => path[1..].to_vec(),
                Some("super") => {
                    let mut base = me.clone();
                    let mut rest = &path[..];
                    while rest.first().is_some_and(|s| s == "super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                    base.extend_from_slice(rest);
                    base
                }
                Some("self") => me.iter().chain(&path[1..]).cloned().collect(),
                _ => continue,
            };
            let target = (1..=segments.len())
                .rev()
                .find_map(|n| by_module.get(&segments[..n]));
            if let Some(&t) = target
                && t != i
            {
                edges.entry(i).or_default().insert(t);
            }
        }
    }
    Graph { files, edges }
}

/// Strongly connected components (Tarjan), as lists of file indices.
fn circles(g: &Graph) -> Vec<Vec<usize>> {
    struct T<'a> {
        g: &'a Graph,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on: Vec<bool>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(t: &mut T, v: usize) {
        t.index[v] = Some(t.next);
        t.low[v] = t.next;
        t.next += 1;
        t.stack.push(v);
        t.on[v] = true;
        let targets: Vec<usize> = t.g.edges.get(&v).into_iter().flatten().copied().collect();
        for w in targets {
            match t.index[w] {
                None => {
                    visit(t, w);
                    t.low[v] = t.low[v].min(t.low[w]);
                }
                Some(iw) if t.on[w] => t.low[v] = t.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(t.low[v]) == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on[w] = false;
                scc.push(w);
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                t.out.push(scc);
            }
        }
    }
    let n = g.files.len();
    let mut t = T {
        g,
        index: vec![None; n],
        low: vec![0; n],
        stack: vec![],
        on: vec![false; n],
        next: 0,
        out: vec![],
    };
    for v in 0..n {
        if t.index[v].is_none() {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn no_import_circle_spans_more_than_three_files() {
    let g = graph();
    assert!(g.files.len() > 50, "the source was found");
    let too_big: Vec<Vec<String>> = circles(&g)
        .into_iter()
        .filter(|c| c.len() > 3)
        .map(|c| {
            c.iter()
                .map(|i| g.files[*i].display().to_string())
                .collect()
        })
        .collect();
    assert!(too_big.is_empty(), "import circles: {too_big:#?}");
}

/// The longest a file under `src/` may be, tests inside it included: past this, split it
/// along its seams (a sibling `tests.rs` for its tests is the usual first step).
const MAX_LINES: usize = 500;

#[test]
fn no_source_file_is_longer_than_500_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "the source was found");
    let too_long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(
        too_long.is_empty(),
        "longer than {MAX_LINES} lines:\n{}",
        too_long.join("\n")
    );
}

#[test]
fn panes_read_state_and_theme_never_update() {
    let g = graph();
    for (i, file) in g.files.iter().enumerate() {
        let shown = file.display().to_string();
        if !shown.contains("/console/panes/") && !shown.ends_with("/console/view.rs") {
            continue;
        }
        for t in g.edges.get(&i).into_iter().flatten() {
            let target = g.files[*t].display().to_string();
            assert!(
                !target.contains("/console/update/") && !target.contains("/console/runner"),
                "{shown} imports {target}"
            );
        }
    }
}

#[test]
fn the_checker_sees_a_circle_when_there_is_one() {
    // The parsing above, on a made-up pair of files that import each other.
    let a = code_of(
        "use crate::x::b::{Thing, other::More};\n// use crate::never;\nfn f() { let s = \"crate::z\"; }\n",
    );
    let paths = paths_in(&a);
    assert!(paths.contains(&vec![
        "crate".into(),
        "x".into(),
        "b".into(),
        "Thing".into()
    ]));
    assert!(paths.contains(&vec![
        "crate".into(),
        "x".into(),
        "b".into(),
        "other".into(),
        "More".into()
    ]));
    assert!(
        !paths
            .iter()
            .any(|p| p.contains(&"never".to_owned()) || p.contains(&"z".to_owned()))
    );
    let g = Graph {
        files: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        edges: [
            (0, [1].into()),
            (1, [2].into()),
            (2, [3].into()),
            (3, [0].into()),
        ]
        .into(),
    };
    assert_eq!(circles(&g).len(), 1);
    assert_eq!(circles(&g)[0].len(), 4);
}

//! A small command-line parser: `--name value`, `--name=value`, boolean `--flag`,
//! and positional arguments. Hand-rolled because the three subcommands need
//! nothing more, and it keeps the tool's build light (see the commit message).

use std::collections::HashMap;

/// One option a subcommand accepts.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// The name including the leading dashes, e.g. `--listen`.
    pub name: &'static str,
    /// True if the option takes a value (`--listen ADDR`), false for a flag (`--echo`).
    pub takes_value: bool,
    /// True if the option may be given several times (`--cert A --cert B`).
    pub repeated: bool,
}

/// Shorthand for an option taking a value.
pub const fn value(name: &'static str) -> Opt {
    Opt {
        name,
        takes_value: true,
        repeated: false,
    }
}

/// Shorthand for an option taking a value that may be given several times
/// (read with [`Parsed::values`]).
pub const fn repeated(name: &'static str) -> Opt {
    Opt {
        name,
        takes_value: true,
        repeated: true,
    }
}

/// Shorthand for a boolean flag.
pub const fn flag(name: &'static str) -> Opt {
    Opt {
        name,
        takes_value: false,
        repeated: false,
    }
}

/// The parsed command line of one subcommand.
#[derive(Debug, Default)]
pub struct Parsed {
    values: HashMap<&'static str, String>,
    multi: HashMap<&'static str, Vec<String>>,
    flags: Vec<&'static str>,
    /// Arguments that are not options, in order.
    pub positional: Vec<String>,
    /// True if `-h` or `--help` was given.
    pub help: bool,
}

impl Parsed {
    /// The value of an option, if it was given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every value of a repeated option, in command-line order.
    pub fn values(&self, name: &str) -> &[String] {
        self.multi.get(name).map_or(&[], Vec::as_slice)
    }

    /// The value of an option that must be given.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.value(name)
            .ok_or_else(|| format!("missing required option {name}"))
    }

    /// True if a flag was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.contains(&name)
    }
}

/// Parses `args` (the words after the subcommand) against `opts`.
/// A lone `--` ends option parsing.
pub fn parse(args: &[String], opts: &[Opt]) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--" {
            out.positional.extend(it.by_ref().cloned());
            break;
        }
        if arg == "-h" || arg == "--help" {
            out.help = true;
            continue;
        }
        if !arg.starts_with('-') || arg == "-" {
            out.positional.push(arg.clone());
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let opt = opts
            .iter()
            .find(|o| o.name == name)
            .ok_or_else(|| format!("unknown option {name}"))?;
        if opt.takes_value {
            let v = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("option {name} needs a value"))?,
            };
            if opt.repeated {
                out.multi.entry(opt.name).or_default().push(v);
            } else if out.values.insert(opt.name, v).is_some() {
                return Err(format!("option {name} given twice"));
            }
        } else {
            if inline.is_some() {
                return Err(format!("option {name} takes no value"));
            }
            if !out.flags.contains(&opt.name) {
                out.flags.push(opt.name);
            }
        }
    }
    Ok(out)
}

/// Splits a comma-separated ALPN list (`h2,http/1.1`), rejecting empty entries.
pub fn alpn_list(list: &str) -> Result<Vec<String>, String> {
    let v: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
    if v.iter().any(|p| p.is_empty() || p.len() > 255) {
        return Err(format!(
            "bad ALPN list {list:?}: expected names of 1 to 255 bytes separated by commas"
        ));
    }
    Ok(v)
}

/// Decodes a hex string (upper or lower case, an even number of digits).
/// The error names the first bad digit's position, never the value: the
/// string may be a secret.
pub fn hex(s: &str) -> Result<Vec<u8>, String> {
    let digit = |i: usize, c: u8| {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| format!("not hex: character {} is not 0-9, a-f or A-F", i + 1))
    };
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return Err("empty: expected hex digits".into());
    }
    if !bytes.len().is_multiple_of(2) {
        return Err(format!(
            "{} hex digits: expected an even number (two per byte)",
            bytes.len()
        ));
    }
    bytes
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| Ok(digit(2 * i, pair[0])? << 4 | digit(2 * i + 1, pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: &[Opt] = &[value("--listen"), flag("--echo"), repeated("--cert")];

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn values_flags_positional() {
        let p = parse(&words("dir --listen 1:2 --echo more"), OPTS).unwrap();
        assert_eq!(p.value("--listen"), Some("1:2"));
        assert!(p.flag("--echo"));
        assert_eq!(p.positional, ["dir", "more"]);
        let p = parse(&words("--listen=[::1]:4"), OPTS).unwrap();
        assert_eq!(p.value("--listen"), Some("[::1]:4"));
        assert!(!p.flag("--echo"));
        let p = parse(&words("-- --echo"), OPTS).unwrap();
        assert_eq!(p.positional, ["--echo"]);
        let p = parse(&words("--cert a --cert=b"), OPTS).unwrap();
        assert_eq!(p.values("--cert"), ["a", "b"]);
        assert!(p.values("--nope").is_empty() && p.value("--cert").is_none());
    }

    #[test]
    fn errors() {
        assert!(parse(&words("--nope"), OPTS)
            .unwrap_err()
            .contains("--nope"));
        assert!(parse(&words("--listen"), OPTS)
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse(&words("--listen a --listen b"), OPTS).is_err());
        assert!(parse(&words("--echo=1"), OPTS).is_err());
        assert!(parse(&words("-h"), OPTS).unwrap().help);
        assert!(parse(&[], OPTS).unwrap().required("--listen").is_err());
    }

    #[test]
    fn hex_digits() {
        assert_eq!(hex("00ff7Aa0").unwrap(), [0x00, 0xff, 0x7a, 0xa0]);
        assert!(hex("").unwrap_err().contains("empty"));
        assert!(hex("abc").unwrap_err().contains("3 hex digits"));
        let e = hex("00g1").unwrap_err();
        assert!(e.contains("character 3"), "{e}");
        assert!(
            !e.contains("00g1"),
            "the error never repeats the secret: {e}"
        );
        assert!(hex("é0").is_err());
    }

    #[test]
    fn alpn() {
        assert_eq!(alpn_list("h2,http/1.1").unwrap(), ["h2", "http/1.1"]);
        assert!(alpn_list("h2,,x").is_err());
    }
}

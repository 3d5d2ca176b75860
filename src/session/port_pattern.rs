//! How a layout names the JACK ports a strip is fed from and the master plays to. Port names
//! differ between servers: JACK2 calls a sound card's inputs `system:capture_1`, PipeWire's
//! JACK `Built-in Audio Analog Stereo:capture_FL` (with the ALSA names as aliases). So a port
//! may be given as
//! - `physical:capture_N` / `physical:playback_N`: the server's Nth hardware input or output,
//!   whatever it is called (what the shipped layouts use);
//! - a name, matched against each port's name and its aliases;
//! - a glob (`*`, `?`, `[...]`), or a regular expression between slashes (`/capture_F[LR]$/`),
//!   matched against names and aliases; the first port that matches, in the server's order.

use regex::Regex;

#[derive(Clone, Debug)]
pub enum PortPattern {
    Name(String),
    /// A glob or a regular expression, as a regular expression.
    Matching(Regex),
    /// The Nth (from 1) hardware port: capture ports feed headroom, playback ports it feeds.
    Physical {
        playback: bool,
        number: usize,
    },
}

/// What a pattern is matched against: one port of the server.
#[derive(Clone, Debug, Default)]
pub struct PortFacts {
    pub name: String,
    pub aliases: Vec<String>,
    /// A hardware port (JACK's IsPhysical flag).
    pub physical: bool,
    /// An output port, that audio comes from (a capture port, or another client's output).
    pub output: bool,
}

const PHYSICAL: &str = "physical:";

impl PortPattern {
    /// Reads a port as a layout writes it; says what was expected when it cannot be.
    pub fn parse(text: &str) -> Result<PortPattern, String> {
        if let Some(rest) = text.strip_prefix(PHYSICAL) {
            let physical = |kind: &str, playback| {
                let number = rest.strip_prefix(kind)?.parse().ok().filter(|&n| n > 0)?;
                Some(PortPattern::Physical { playback, number })
            };
            return physical("capture_", false).or_else(|| physical("playback_", true)).ok_or_else(|| {
                format!("\"{text}\": expected `physical:capture_N` or `physical:playback_N`, N counting from 1")
            });
        }
        if let Some(expression) = text.strip_prefix('/').and_then(|t| t.strip_suffix('/')) {
            return Regex::new(expression)
                .map(PortPattern::Matching)
                .map_err(|e| format!("\"{text}\": not a regular expression: {}", regex_verdict(&e.to_string())));
        }
        if text.contains(['*', '?', '[']) {
            return Regex::new(&glob_to_regex(text))
                .map(PortPattern::Matching)
                .map_err(|_| format!("\"{text}\": not a glob (an unclosed `[`?)"));
        }
        Ok(PortPattern::Name(text.to_string()))
    }

    /// Whether this names a port of the given direction (a physical playback port is an input).
    pub fn fits(&self, want_output: bool) -> bool {
        !matches!(self, PortPattern::Physical { playback, .. } if *playback == want_output)
    }

    /// The port this names among `ports` (in the server's order), of the direction wanted
    /// (a physical port's direction is its own: capture ports are outputs).
    pub fn pick<'a>(&self, ports: &'a [PortFacts], want_output: bool) -> Option<&'a PortFacts> {
        let mut candidates = ports.iter().filter(|p| p.output == want_output);
        let named = |p: &&PortFacts, test: &dyn Fn(&str) -> bool| test(&p.name) || p.aliases.iter().any(|a| test(a));
        match self {
            PortPattern::Name(name) => candidates.find(|p| named(p, &|n| n == name)),
            PortPattern::Matching(regex) => candidates.find(|p| named(p, &|n| regex.is_match(n))),
            PortPattern::Physical { playback, number } => {
                ports.iter().filter(|p| p.physical && p.output != *playback).nth(number - 1)
            }
        }
    }
}

/// The regex crate's verdict, the last line of its message ("error: unclosed group").
fn regex_verdict(text: &str) -> &str {
    let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(text).trim();
    last.strip_prefix("error: ").unwrap_or(last)
}

/// A glob as an anchored regular expression: `*` any run, `?` one character, `[...]` a class.
fn glob_to_regex(glob: &str) -> String {
    let mut out = String::from("^");
    let mut in_class = false;
    for c in glob.chars() {
        match (c, in_class) {
            ('*', false) => out.push_str(".*"),
            ('?', false) => out.push('.'),
            ('[', false) => {
                in_class = true;
                out.push('[');
            }
            (']', true) => {
                in_class = false;
                out.push(']');
            }
            (c, true) => out.push(c),
            (c, false) => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: &str, aliases: &[&str], physical: bool, output: bool) -> PortFacts {
        PortFacts { name: name.into(), aliases: aliases.iter().map(|a| a.to_string()).collect(), physical, output }
    }

    /// A JACK2 server with a card, and a PipeWire one with the same card, as each names it.
    fn jack2() -> Vec<PortFacts> {
        vec![
            port("system:capture_1", &["alsa_pcm:hw:0:out1"], true, true),
            port("system:capture_2", &["alsa_pcm:hw:0:out2"], true, true),
            port("system:playback_1", &["alsa_pcm:hw:0:in1"], true, false),
            port("system:playback_2", &["alsa_pcm:hw:0:in2"], true, false),
            port("synth:out_L", &[], false, true),
        ]
    }

    fn pipewire() -> Vec<PortFacts> {
        vec![
            port(
                "Built-in Audio Analog Stereo:capture_FL",
                &["alsa_input.pci-0000_00_1f.3.analog-stereo:capture_FL"],
                true,
                true,
            ),
            port(
                "Built-in Audio Analog Stereo:capture_FR",
                &["alsa_input.pci-0000_00_1f.3.analog-stereo:capture_FR"],
                true,
                true,
            ),
            port("Built-in Audio Analog Stereo:playback_FL", &[], true, false),
            port("Built-in Audio Analog Stereo:playback_FR", &[], true, false),
            port("Built-in Audio Analog Stereo:monitor_FL", &[], true, true),
        ]
    }

    fn picked(pattern: &str, ports: &[PortFacts], output: bool) -> Option<String> {
        PortPattern::parse(pattern).unwrap().pick(ports, output).map(|p| p.name.clone())
    }

    #[test]
    fn physical_ports_are_found_by_number_on_jack2_and_pipewire_alike() {
        assert_eq!(picked("physical:capture_2", &jack2(), true).unwrap(), "system:capture_2");
        assert_eq!(picked("physical:capture_2", &pipewire(), true).unwrap(), "Built-in Audio Analog Stereo:capture_FR");
        assert_eq!(picked("physical:playback_1", &jack2(), false).unwrap(), "system:playback_1");
        assert_eq!(
            picked("physical:playback_2", &pipewire(), false).unwrap(),
            "Built-in Audio Analog Stereo:playback_FR"
        );
        assert_eq!(picked("physical:capture_3", &jack2(), true), None, "a card with two inputs has no third");
        // PipeWire marks a virtual source's inputs physical: they are not capture ports.
        let only_inputs = [port("Test Mic:input_FL", &[], true, false), port("Test Mic:capture_FL", &[], false, true)];
        assert_eq!(picked("physical:capture_1", &only_inputs, true), None);
        assert_eq!(picked("physical:capture_1", &only_inputs, false), None);
        assert!(!PortPattern::parse("physical:playback_1").unwrap().fits(true), "playback ports are not sources");
        assert!(PortPattern::parse("physical:capture_1").unwrap().fits(true));
    }

    #[test]
    fn names_match_aliases_and_globs_and_expressions_match_names_or_aliases() {
        assert_eq!(picked("alsa_pcm:hw:0:out2", &jack2(), true).unwrap(), "system:capture_2");
        assert_eq!(picked("synth:out_L", &jack2(), true).unwrap(), "synth:out_L");
        assert_eq!(picked("system:capture_1", &jack2(), false), None, "an output is not a destination");
        assert_eq!(picked("*:capture_F[R]", &pipewire(), true).unwrap(), "Built-in Audio Analog Stereo:capture_FR");
        assert_eq!(
            picked("alsa_input.*:capture_FL", &pipewire(), true).unwrap(),
            "Built-in Audio Analog Stereo:capture_FL"
        );
        assert_eq!(picked("/capture_(2|FR)$/", &jack2(), true).unwrap(), "system:capture_2");
        assert_eq!(picked("/capture_(2|FR)$/", &pipewire(), true).unwrap(), "Built-in Audio Analog Stereo:capture_FR");
        // A glob matches the whole name: dots and pluses in it are plain characters.
        assert_eq!(picked("synth:out_?", &jack2(), true).unwrap(), "synth:out_L");
        assert_eq!(picked("synth.out_L", &jack2(), true), None);
    }

    #[test]
    fn a_port_that_cannot_be_read_says_what_was_expected() {
        let why = PortPattern::parse("physical:capture_0").unwrap_err();
        assert!(why.contains("physical:capture_N") && why.contains("from 1"), "{why}");
        let why = PortPattern::parse("physical:mic").unwrap_err();
        assert!(why.contains("physical:playback_N"), "{why}");
        let why = PortPattern::parse("/capture_(1/").unwrap_err();
        assert!(why.ends_with("not a regular expression: unclosed group"), "{why}");
        let why = PortPattern::parse("system:capture_[1").unwrap_err();
        assert!(why.contains("not a glob"), "{why}");
    }
}

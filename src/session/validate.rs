//! Checks a deserialised session for everything the schema cannot express,
//! collecting every problem (not just the first) with its YAML path.

use super::port_pattern::PortPattern;
use std::collections::HashSet;

use super::resolve::{BadValue, choice_token, decode, scalar_text};
use super::schema::{
    ChannelDoc, Channels, FORMAT_VERSION, InsertDoc, MASTER, Scalar, SessionDoc, TEMPO_BPM, Values, note_value_ms,
};
use super::target::target_problem;
use crate::dsp::delay::DELAY_PARAMS;
use crate::dsp::limiter::LOOKAHEAD_MS;
use crate::engine::MOST_COMPENSATION;
use crate::engine::channel_params::{INPUT_PARAMS, METER_PARAMS, OUTPUT_PARAMS, SEND_PARAMS, defs_of};
use crate::engine::params::{ParamDef, Section, Unit};
use crate::engine::setup::InsertKind;
use crate::files::names::name_problem;

/// One thing wrong, by YAML path (`strips[3].sends[1].bus`); the loader adds file and line.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub path: String,
    pub message: String,
}

#[derive(Default)]
struct Checker {
    findings: Vec<Finding>,
}

impl Checker {
    fn report(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.findings.push(Finding { path: path.into(), message: message.into() });
    }

    /// Each of `ports` must read as a port (see `port_pattern`) of the direction wanted:
    /// sources (outputs) for a strip's input, destinations (inputs) for the master.
    fn ports(&mut self, path: &str, ports: &[String], sources: bool) {
        for (i, text) in ports.iter().enumerate() {
            let at = format!("{path}[{i}]");
            match PortPattern::parse(text) {
                Err(why) => self.report(at, why),
                Ok(pattern) if !pattern.fits(sources) => {
                    let (is, wanted) = if sources { ("playback", "capture") } else { ("capture", "playback") };
                    self.report(
                        at,
                        format!(
                            "\"{text}\" is a {is} port; this wants a {wanted} port (or another client's {})",
                            if sources { "output" } else { "input" }
                        ),
                    );
                }
                Ok(_) => {}
            }
        }
    }

    fn range(&mut self, path: &str, value: f32, (min, max): (f32, f32), unit: &str) {
        if !(min..=max).contains(&value) {
            self.report(path, format!("{value} is out of range; expected {min} to {max}{unit}"));
        }
    }

    /// Checks every value of a section written at `path` against its parameters' tables;
    /// `extra` names keys of the section that are not parameters (checked by the caller).
    fn values(&mut self, path: &str, written: &Values, tables: &[&[ParamDef]], extra: &[&str]) {
        for (key, value) in &written.0 {
            let at = format!("{path}.{key}");
            match tables.iter().flat_map(|t| t.iter()).find(|def| def.file_key == key) {
                Some(def) => self.value(&at, def, value),
                None if extra.contains(&key.as_str()) => {}
                None => {
                    let keys: Vec<&str> = tables
                        .iter()
                        .flat_map(|t| t.iter())
                        .map(|def| def.file_key)
                        .chain(extra.iter().copied())
                        .collect();
                    self.report(at, format!("unknown key `{key}`; expected one of {}", keys.join(", ")));
                }
            }
        }
    }

    fn value(&mut self, path: &str, def: &ParamDef, value: &Scalar) {
        match decode(def, value) {
            Ok(_) => {}
            Err(BadValue::Kind(expected)) => self.report(path, format!("expected {expected}, found {}", quoted(value))),
            Err(BadValue::OutOfRange(v)) => {
                self.report(path, format!("{v} is out of range; expected {}", range_text(def)))
            }
            Err(BadValue::NotOffered(token)) => {
                self.report(path, format!("{token} is not offered; expected {}", choices(def)))
            }
        }
    }
}

/// `-90 to 10 dB`, `-inf or -90 to 10 dB` for levels, `-1 to 1 (-1 left, 1 right)`.
fn range_text(def: &ParamDef) -> String {
    let unit = match def.unit {
        Unit::Db => " dB",
        Unit::Hz => " Hz",
        Unit::Ms => " ms",
        Unit::Ratio => ":1",
        Unit::Pan => " (-1 left, 1 right)",
        _ => "",
    };
    let floor = if def.is_level() { "-inf or " } else { "" };
    format!("{floor}{} to {}{unit}", def.min, def.max)
}

/// `12 or 24`, `peak or rms`.
fn choices(def: &ParamDef) -> String {
    let Unit::Choice(names) = def.unit else { return String::new() };
    let tokens: Vec<&str> = names.iter().map(|n| choice_token(n)).collect();
    match tokens.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn quoted(value: &Scalar) -> String {
    match value {
        Scalar::Text(t) => format!("\"{t}\""),
        _ => scalar_text(value),
    }
}

pub fn validate(doc: &SessionDoc) -> Vec<Finding> {
    let mut c = Checker::default();
    if doc.version != FORMAT_VERSION {
        c.report("version", format!("unsupported version {}; expected {FORMAT_VERSION}", doc.version));
    }
    if doc.name.trim().is_empty() {
        c.report("name", "the session needs a name");
    } else if let Some(problem) = name_problem(&doc.name, true) {
        c.report("name", problem);
    }
    c.range("tempo_bpm", doc.tempo_bpm, TEMPO_BPM, " bpm");

    let bus_names: Vec<&str> = doc.buses.iter().map(|b| b.name.as_str()).collect();
    check_names(&mut c, "strips", &doc.strips);
    check_names(&mut c, "buses", &doc.buses);
    for (i, bus) in doc.buses.iter().enumerate() {
        if bus.name == MASTER {
            c.report(format!("buses[{i}].name"), "\"master\" is reserved for the master bus");
        }
    }

    for (i, strip) in doc.strips.iter().enumerate() {
        let at = format!("strips[{i}]");
        check_channel(&mut c, &at, strip, &bus_names, doc.tempo_bpm);
        if strip.kind.is_some() {
            c.report(format!("{at}.kind"), "only buses have a kind (group or fx)");
        }
        if strip.limiter.is_some() {
            c.report(format!("{at}.limiter"), "the limiter is on the master only");
        }
        if strip.loudness {
            c.report(
                format!("{at}.loudness"),
                "loudness is measured on buses and the master; route the strip to a bus",
            );
        }
        const INPUT_HELP: &str = "expected `input: {file: stem.wav}` or `input: {ports: [physical:capture_1]}`";
        match strip.input.as_ref().map(|i| (&i.ports, &i.file)) {
            None => c.report(&at, format!("a strip needs an input; {INPUT_HELP}")),
            Some((Some(_), Some(_))) | Some((None, None)) => {
                c.report(format!("{at}.input"), format!("give either ports or a file; {INPUT_HELP}"))
            }
            Some((Some(ports), None)) => {
                c.ports(&format!("{at}.input.ports"), ports, true);
                let wanted = strip.channels.map_or(1, |ch| ch.count());
                if ports.len() != wanted {
                    c.report(
                        format!("{at}.input.ports"),
                        format!(
                            "{} port(s) given; a {} strip takes {wanted}",
                            ports.len(),
                            if wanted == 1 { "mono" } else { "stereo" }
                        ),
                    );
                }
            }
            Some((None, Some(f))) if f.trim().is_empty() => c.report(format!("{at}.input.file"), "empty file name"),
            Some((None, Some(_))) => {}
        }
    }
    for (i, bus) in doc.buses.iter().enumerate() {
        let at = format!("buses[{i}]");
        check_channel(&mut c, &at, bus, &bus_names, doc.tempo_bpm);
        for (key, present) in
            [("input", bus.input.is_some()), ("channels", bus.channels.is_some()), ("limiter", bus.limiter.is_some())]
        {
            if present {
                c.report(
                    format!("{at}.{key}"),
                    format!(
                        "`{key}` is for {}; buses are stereo and fed by the channels routed to them",
                        if key == "limiter" { "the master" } else { "strips" }
                    ),
                );
            }
        }
        if bus.kind.is_none() {
            c.report(&at, "a bus needs a kind: `kind: group` (strips route to it) or `kind: fx` (fed by sends)");
        }
        if bus.output.as_deref() == Some(bus.name.as_str()) {
            c.report(format!("{at}.output"), "a bus cannot route into itself");
        }
    }
    let m = &doc.master;
    check_channel(&mut c, "master", m, &bus_names, doc.tempo_bpm);
    if let Some(problem) = target_problem(doc.meters.peak_target_db) {
        c.report("meters.peak_target_db", problem);
    }
    for (key, present) in [
        ("name", !m.name.is_empty()),
        ("kind", m.kind.is_some()),
        ("channels", m.channels.is_some()),
        ("input", m.input.is_some()),
        ("output", m.output.is_some()),
        ("sends", !m.sends.is_empty()),
    ] {
        if present {
            c.report(
                format!("master.{key}"),
                format!("the master has no `{key}`; it takes everything routed to it and feeds its `ports`"),
            );
        }
    }
    check_loops(&mut c, doc);
    c.findings
}

fn check_names(c: &mut Checker, list: &str, channels: &[ChannelDoc]) {
    let mut seen = HashSet::new();
    for (i, ch) in channels.iter().enumerate() {
        let at = format!("{list}[{i}].name");
        if ch.name.trim().is_empty() {
            c.report(&at, "a name is required");
        } else if let Some(problem) = name_problem(&ch.name, false) {
            c.report(&at, problem);
        } else if ch.name.contains(['.', '[', ']']) {
            c.report(&at, format!("\"{}\" contains '.', '[' or ']', which parameter ids use as separators", ch.name));
        } else if !seen.insert(ch.name.as_str()) {
            c.report(&at, format!("duplicate name \"{}\"; names in {list} must be unique", ch.name));
        }
    }
}

fn check_channel(c: &mut Checker, at: &str, ch: &ChannelDoc, bus_names: &[&str], tempo_bpm: f32) {
    if !ch.ports.is_empty() && at != "master" {
        c.report(format!("{at}.ports"), "only the master has output ports; route this channel to a bus or the master");
    }
    if at == "master" {
        c.ports("master.ports", &ch.ports, false);
    }
    if at == "master" && ch.ports.len() > 2 {
        c.report(
            format!("{at}.ports"),
            format!("{} ports given; the master has two outputs (left, right)", ch.ports.len()),
        );
    }
    if let Some(insert) = &ch.insert {
        check_insert(c, at, ch, insert);
    }
    let known_bus = |name: &str| name == MASTER || bus_names.contains(&name);
    let bus_list = if bus_names.is_empty() {
        "there are no buses".to_string()
    } else {
        format!("buses are: {}", bus_names.join(", "))
    };
    if let Some(out) = &ch.output
        && !known_bus(out)
    {
        c.report(format!("{at}.output"), format!("no bus named \"{out}\"; expected master or a bus ({bus_list})"));
    }
    let mut sent_to = HashSet::new();
    for (i, send) in ch.sends.iter().enumerate() {
        let sp = format!("{at}.sends[{i}]");
        if send.bus == MASTER {
            c.report(format!("{sp}.bus"), "sends feed buses; the master is reached through `output`");
        } else if !bus_names.contains(&send.bus.as_str()) {
            c.report(format!("{sp}.bus"), format!("no bus named \"{}\"; {bus_list}", send.bus));
        } else if !sent_to.insert(send.bus.as_str()) {
            c.report(format!("{sp}.bus"), format!("a second send to \"{}\"; one send per bus", send.bus));
        } else if send.bus == ch.name && at.starts_with("buses") {
            c.report(format!("{sp}.bus"), "a bus cannot send to itself");
        }
        c.values(&sp, &send.values, &[&SEND_PARAMS], &[]);
    }
    if at == "master" {
        if ch.values.get("meter").is_some() {
            c.report(
                "master.meter",
                "the master's meter reads its outputs, always; meter points are for strips and buses",
            );
        }
        c.values(at, &ch.values, &[&INPUT_PARAMS, &OUTPUT_PARAMS], &["meter"]);
    } else {
        c.values(at, &ch.values, &[&INPUT_PARAMS, &OUTPUT_PARAMS, &METER_PARAMS], &[]);
    }
    // In the order a file lists them: the high-pass, the EQ bands, then the others.
    let [hpf, others @ ..] = ch.processor_sections();
    for (section, written) in [hpf].into_iter().chain([(Section::Band(0), &None)]).chain(others) {
        if let Section::Band(_) = section {
            check_bands(c, at, &ch.eq);
            continue;
        }
        let Some(written) = written else { continue };
        let path = format!("{at}.{}", section_key(section));
        match section {
            Section::Delay => {
                c.values(&path, written, &[defs_of(section)], &["sync"]);
                match written.get("sync") {
                    None => {}
                    Some(Scalar::Text(note)) if note_value_ms(note, tempo_bpm).is_some() => {
                        let ms = note_value_ms(note, tempo_bpm).unwrap_or_default();
                        let time = &DELAY_PARAMS[0];
                        c.range(&format!("{path}.sync"), ms, (time.min, time.max), &format!(" ms at {tempo_bpm} bpm"));
                    }
                    Some(note) => c.report(
                        format!("{path}.sync"),
                        format!("{} is not a note value; expected e.g. 1/4, 1/8., 1/8t, 1/16", quoted(note)),
                    ),
                }
            }
            Section::Limiter => {
                c.values(&path, written, &[defs_of(section)], &["lookahead_ms"]);
                match written.get("lookahead_ms") {
                    None => {}
                    Some(Scalar::Number(ms)) => c.range(&format!("{path}.lookahead_ms"), *ms, LOOKAHEAD_MS, " ms"),
                    Some(other) => c.report(
                        format!("{path}.lookahead_ms"),
                        format!("expected a time in ms, found {}", quoted(other)),
                    ),
                }
            }
            _ => c.values(&path, written, &[defs_of(section)], &[]),
        }
    }
    if let Some(order) = &ch.order {
        let mut seen = HashSet::new();
        for (i, name) in order.iter().enumerate() {
            if InsertKind::from_name(name).is_none() {
                let names: Vec<&str> = InsertKind::ALL.iter().map(|k| k.name()).collect();
                c.report(
                    format!("{at}.order[{i}]"),
                    format!("\"{name}\" is not an insert; expected {}", names.join(", ")),
                );
            } else if !seen.insert(name) {
                c.report(format!("{at}.order[{i}]"), format!("{name} appears twice in the insert order"));
            }
        }
    }
}

fn check_bands(c: &mut Checker, at: &str, eq: &[Values]) {
    if eq.len() > 4 {
        c.report(
            format!("{at}.eq"),
            format!("{} bands given; the EQ has 4 (low shelf, bell, bell, high shelf)", eq.len()),
        );
    }
    for (i, band) in eq.iter().enumerate().take(4) {
        c.values(&format!("{at}.eq[{i}]"), band, &[defs_of(Section::Band(i as u8))], &[]);
    }
}

/// A hardware insert: on a strip or a bus, one port each way a channel, sends going to
/// inputs and returns coming from outputs.
fn check_insert(c: &mut Checker, at: &str, ch: &ChannelDoc, insert: &InsertDoc) {
    if at == "master" {
        let why =
            "the master has no hardware insert (its limiter is the last thing before the print); put the gear on a bus";
        c.report("master.insert", why);
        return;
    }
    let width = if at.starts_with("strips") && ch.channels != Some(Channels::Stereo) { 1 } else { 2 };
    let what = if width == 1 { "a mono strip's insert takes 1" } else { "a stereo insert takes 2 (left, right)" };
    for (key, ports, sources) in [("send", &insert.send, false), ("return", &insert.back, true)] {
        let path = format!("{at}.insert.{key}");
        c.ports(&path, ports, sources);
        if ports.len() != width {
            c.report(path, format!("{} port(s) given; {what}", ports.len()));
        }
    }
    if insert.latency_frames.is_some_and(|f| f as usize >= MOST_COMPENSATION) {
        c.report(
            format!("{at}.insert.latency_frames"),
            format!("a round trip of more than {} frames cannot be compensated", MOST_COMPENSATION - 1),
        );
    }
}

/// The key of a processor section in a channel of the file.
fn section_key(section: Section) -> &'static str {
    match section {
        Section::Hpf => "hpf",
        Section::Gate => "gate",
        Section::Comp => "comp",
        Section::Delay => "delay",
        Section::Reverb => "reverb",
        Section::Limiter => "limiter",
        _ => "",
    }
}

/// Buses feeding each other in a circle (through outputs or sends) would never finish summing.
fn check_loops(c: &mut Checker, doc: &SessionDoc) {
    let edges = doc.bus_feeds();
    let mut reported = HashSet::new();
    for start in 0..doc.buses.len() {
        // Depth-first search for a path from `start` back to itself.
        let mut stack = vec![(start, vec![start])];
        let mut visited = HashSet::new();
        while let Some((node, path)) = stack.pop() {
            for &next in &edges[node] {
                if next == start && node == start && path.len() == 1 {
                    // A bus feeding itself directly is reported where it is written.
                    continue;
                }
                if next == start {
                    let mut cycle: Vec<usize> = path.clone();
                    let key = {
                        let mut k = cycle.clone();
                        k.sort();
                        k
                    };
                    if reported.insert(key) {
                        cycle.push(start);
                        let names: Vec<&str> = cycle.iter().map(|&b| doc.buses[b].name.as_str()).collect();
                        c.report(format!("buses[{start}]"), format!("routing loop: {}", names.join(" → ")));
                    }
                } else if visited.insert(next) {
                    let mut p = path.clone();
                    p.push(next);
                    stack.push((next, p));
                }
            }
        }
    }
}

//! Checks a deserialised session for everything the schema cannot express,
//! collecting every problem (not just the first) with its YAML path.

use std::collections::HashSet;

use super::schema::{ChannelDoc, FORMAT_VERSION, MASTER, SessionDoc, note_value_ms};
use crate::engine::params::ranges;

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

    fn range(&mut self, path: &str, value: f32, (min, max): (f32, f32), unit: &str) {
        if !(min..=max).contains(&value) {
            self.report(path, format!("{value} is out of range; expected {min} to {max}{unit}"));
        }
    }
}

pub fn validate(doc: &SessionDoc) -> Vec<Finding> {
    let mut c = Checker::default();
    if doc.version != FORMAT_VERSION {
        c.report("version", format!("unsupported version {}; expected {FORMAT_VERSION}", doc.version));
    }
    if doc.name.trim().is_empty() {
        c.report("name", "the session needs a name");
    }
    c.range("tempo_bpm", doc.tempo_bpm, ranges::TEMPO_BPM, " bpm");

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
        const INPUT_HELP: &str = "expected `input: {file: stem.wav}` or `input: {ports: [system:capture_1]}`";
        match strip.input.as_ref().map(|i| (&i.ports, &i.file)) {
            None => c.report(&at, format!("a strip needs an input; {INPUT_HELP}")),
            Some((Some(_), Some(_))) | Some((None, None)) => {
                c.report(format!("{at}.input"), format!("give either ports or a file; {INPUT_HELP}"))
            }
            Some((Some(ports), None)) => {
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
    if at == "master" && ch.ports.len() > 2 {
        c.report(
            format!("{at}.ports"),
            format!("{} ports given; the master has two outputs (left, right)", ch.ports.len()),
        );
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
        fader_range(c, &format!("{sp}.level_db"), send.level_db.0);
    }
    fader_range(c, &format!("{at}.fader_db"), ch.fader_db.0);
    c.range(&format!("{at}.trim_db"), ch.trim_db, ranges::TRIM_DB, " dB");
    c.range(&format!("{at}.pan"), ch.pan, ranges::PAN, " (-1 left, 1 right)");
    if let Some(hpf) = &ch.hpf {
        c.range(&format!("{at}.hpf.freq_hz"), hpf.freq_hz, ranges::HPF_HZ, " Hz");
        if hpf.slope != 12 && hpf.slope != 24 {
            c.report(format!("{at}.hpf.slope"), format!("{} dB/oct is not offered; expected 12 or 24", hpf.slope));
        }
    }
    if ch.eq.len() > 4 {
        c.report(
            format!("{at}.eq"),
            format!("{} bands given; the EQ has 4 (low shelf, bell, bell, high shelf)", ch.eq.len()),
        );
    }
    for (i, band) in ch.eq.iter().enumerate().take(4) {
        let bp = format!("{at}.eq[{i}]");
        if let Some(v) = band.freq_hz {
            c.range(&format!("{bp}.freq_hz"), v, ranges::FREQ_HZ, " Hz")
        }
        if let Some(v) = band.gain_db {
            c.range(&format!("{bp}.gain_db"), v, ranges::EQ_GAIN_DB, " dB")
        }
        if let Some(v) = band.q {
            c.range(&format!("{bp}.q"), v, ranges::Q, "")
        }
    }
    if let Some(comp) = &ch.comp {
        let p = format!("{at}.comp");
        c.range(&format!("{p}.threshold_db"), comp.threshold_db, ranges::THRESHOLD_DB, " dB");
        c.range(&format!("{p}.ratio"), comp.ratio, ranges::COMP_RATIO, ":1");
        c.range(&format!("{p}.knee_db"), comp.knee_db, ranges::KNEE_DB, " dB");
        c.range(&format!("{p}.attack_ms"), comp.attack_ms, ranges::ATTACK_MS, " ms");
        c.range(&format!("{p}.release_ms"), comp.release_ms, ranges::RELEASE_MS, " ms");
        c.range(&format!("{p}.makeup_db"), comp.makeup_db, ranges::MAKEUP_DB, " dB");
    }
    if let Some(gate) = &ch.gate {
        let p = format!("{at}.gate");
        c.range(&format!("{p}.threshold_db"), gate.threshold_db, ranges::THRESHOLD_DB, " dB");
        c.range(&format!("{p}.range_db"), gate.range_db, ranges::RANGE_DB, " dB");
        c.range(&format!("{p}.ratio"), gate.ratio, ranges::GATE_RATIO, ":1");
        c.range(&format!("{p}.attack_ms"), gate.attack_ms, ranges::ATTACK_MS, " ms");
        c.range(&format!("{p}.hold_ms"), gate.hold_ms, ranges::HOLD_MS, " ms");
        c.range(&format!("{p}.release_ms"), gate.release_ms, ranges::RELEASE_MS, " ms");
    }
    if let Some(delay) = &ch.delay {
        let p = format!("{at}.delay");
        match &delay.sync {
            Some(note) => match note_value_ms(note, tempo_bpm) {
                Some(ms) => c.range(&format!("{p}.sync"), ms, ranges::DELAY_MS, &format!(" ms at {tempo_bpm} bpm")),
                None => c.report(
                    format!("{p}.sync"),
                    format!("\"{note}\" is not a note value; expected e.g. 1/4, 1/8., 1/8t, 1/16"),
                ),
            },
            None => c.range(&format!("{p}.time_ms"), delay.time_ms, ranges::DELAY_MS, " ms"),
        }
        c.range(&format!("{p}.feedback"), delay.feedback, ranges::FEEDBACK, "");
        c.range(&format!("{p}.damping_hz"), delay.damping_hz, ranges::DAMPING_HZ, " Hz");
        c.range(&format!("{p}.mix"), delay.mix, ranges::AMOUNT, "");
    }
    if let Some(rev) = &ch.reverb {
        let p = format!("{at}.reverb");
        for (key, value) in [("size", rev.size), ("damping", rev.damping), ("width", rev.width), ("mix", rev.mix)] {
            c.range(&format!("{p}.{key}"), value, ranges::AMOUNT, "");
        }
    }
    if let Some(lim) = &ch.limiter {
        let p = format!("{at}.limiter");
        c.range(&format!("{p}.ceiling_db"), lim.ceiling_db, ranges::CEILING_DB, " dBFS");
        c.range(&format!("{p}.release_ms"), lim.release_ms, ranges::RELEASE_MS, " ms");
        c.range(&format!("{p}.lookahead_ms"), lim.lookahead_ms, ranges::LOOKAHEAD_MS, " ms");
    }
    if let Some(order) = &ch.order {
        let mut seen = HashSet::new();
        for (i, kind) in order.iter().enumerate() {
            if !seen.insert(*kind) {
                c.report(
                    format!("{at}.order[{i}]"),
                    format!("{kind:?} appears twice in the insert order").to_lowercase(),
                );
            }
        }
    }
}

fn fader_range(c: &mut Checker, path: &str, db: f32) {
    if db != f32::NEG_INFINITY && !(ranges::FADER_DB.0..=ranges::FADER_DB.1).contains(&db) {
        c.report(
            path,
            format!("{db} is out of range; expected -inf or {} to {} dB", ranges::FADER_DB.0, ranges::FADER_DB.1),
        );
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

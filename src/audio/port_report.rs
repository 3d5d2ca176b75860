//! `headroom ports`: what the JACK server offers, named as a layout can name it, and, for a
//! session, where each port its layout names would connect now.

use jack::PortSpec;

use super::jack_backend::{self, JackError, server_ports};
use super::jack_library;
use crate::session::port_pattern::{PortFacts, PortPattern};
use crate::session::schema::SessionDoc;

/// The report, as printed.
pub fn report(session: Option<&SessionDoc>) -> Result<String, JackError> {
    let client = jack_backend::open_client("headroom-ports")?;
    let audio = server_ports(&client, jack::AudioIn::default().jack_port_type());
    let midi = server_ports(&client, jack::MidiIn::default().jack_port_type());
    let own = format!("{}:", client.name());
    let mut out = format!(
        "{}: {} Hz, {} frames a period\n",
        jack_library::describe(jack_library::pipewire_version().as_deref()),
        client.sample_rate(),
        client.buffer_size()
    );
    for (title, ports, output) in [
        ("audio sources (strip inputs take these)", &audio, true),
        ("audio destinations (the master plays to these)", &audio, false),
        ("MIDI sources (surfaces)", &midi, true),
        ("MIDI destinations (surface feedback)", &midi, false),
    ] {
        out.push_str(&format!("\n{title}:\n"));
        let listed: Vec<&PortFacts> =
            ports.iter().filter(|p| p.output == output && !p.name.starts_with(&own)).collect();
        if listed.is_empty() {
            out.push_str("  (none)\n");
        }
        let mut physical = 0;
        for port in listed {
            let mut line = format!("  {}", port.name);
            if port.physical {
                physical += 1;
                let kind = if output { "capture" } else { "playback" };
                line.push_str(&format!("  = physical:{kind}_{physical}"));
            }
            if !port.aliases.is_empty() {
                line.push_str(&format!("  (also {})", port.aliases.join(", ")));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    if let Some(doc) = session {
        out.push_str(&format!("\n{} would connect:\n", doc.name));
        let strips = doc.strips.iter().enumerate().flat_map(|(i, strip)| {
            let ports = strip.input.as_ref().and_then(|input| input.ports.clone()).unwrap_or_default();
            ports.into_iter().map(move |p| (format!("strip {} ({}) input", strip.name, i + 1), p, true))
        });
        let master = doc.master.ports.iter().map(|p| ("master".to_string(), p.clone(), false));
        for (what, text, output) in strips.chain(master) {
            let found = match PortPattern::parse(&text) {
                Ok(pattern) => match pattern.pick(&audio, output) {
                    Some(port) => port.name.clone(),
                    None => "nothing there now (connected when such a port appears)".to_string(),
                },
                Err(why) => format!("cannot be read: {why}"),
            };
            out.push_str(&format!("  {what}: {text} → {found}\n"));
        }
    }
    Ok(out)
}

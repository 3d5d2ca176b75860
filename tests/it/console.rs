//! The console without a terminal: screens rendered to ratatui's `TestBackend` and
//! compared with reviewed snapshots (tests/snapshots/), and key sequences checked for
//! the commands and state they produce.

use std::path::Path;
use std::sync::Arc;

use headroom::automation::Mode;
use headroom::automation::lane::Point;
use headroom::automation::passes::{Pass, Store};
use headroom::engine::Command;
use headroom::engine::params::ParamIndex;
use headroom::engine::targets::ParamTargets;
use headroom::session::load;
use headroom::session::resolve::build_engine;
use headroom::ui::model::{App, AutomationReading, ChannelReading, EngineInfo, Loudness, Msg, Readings};
use headroom::ui::view;

use super::jack::line_with;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

/// A console on `loaded`, with the targets and telemetry of an engine built from it.
fn app_on(loaded: load::Loaded) -> App {
    let built = build_engine(&loaded.doc, 48_000.0, 0).unwrap();
    let info = EngineInfo { client_name: loaded.doc.name.clone(), sample_rate: 48_000, period: 256 };
    let targets = Arc::new(ParamTargets::new(&built.values, built.telemetry));
    App::new(loaded.doc, loaded.file, built.params, targets, info)
}

fn demo_app() -> App {
    app_on(load::load(Path::new("layouts/demo.yaml")).unwrap())
}

/// Meters as if the demo were playing: each channel at its own level, the master at `master_peak`.
fn playing(app: &mut App, now_s: f64, master_peak: f32) {
    let count = app.channels.len();
    let channels = (0..count)
        .map(|i| {
            let peak = if i == count - 1 { master_peak } else { 0.05 + 0.08 * i as f32 };
            ChannelReading {
                peak: [peak, peak * 0.8],
                gain_reduction_db: if i == 1 { 4.5 } else { 0.0 },
                ..Default::default()
            }
        })
        .collect();
    app.update(Msg::Readings(Readings {
        now_s,
        channels,
        loudness: Loudness {
            momentary_lufs: -14.2,
            short_term_lufs: -15.0,
            integrated_lufs: -16.1,
            range_lu: 5.2,
            true_peak_dbtp: -1.4,
        },
        frame: 12 * 48_000 + 24_000,
        rolling: true,
        bars_beats: Some((7, 1, 960)),
        dsp_load: 12.5,
        xruns: 0,
        ..Readings::default()
    }));
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.update(Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn key(app: &mut App, code: KeyCode) -> Vec<headroom::ui::model::Effect> {
    let modifiers = if matches!(code, KeyCode::Char(c) if c.is_ascii_uppercase()) {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    app.update(Msg::Key(KeyEvent::new(code, modifiers)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
}

fn param(app: &App, id: &str) -> ParamIndex {
    app.table.lookup(id).unwrap()
}

#[test]
fn the_demo_console_at_80_by_24() {
    let mut app = demo_app();
    playing(&mut app, 0.0, 0.4);
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn the_demo_console_at_200_by_50() {
    let mut app = demo_app();
    playing(&mut app, 0.0, 0.4);
    insta::assert_snapshot!(screen(&mut app, 200, 50));
}

#[test]
fn strip_detail_with_its_eq_curve() {
    let mut app = demo_app();
    playing(&mut app, 0.0, 0.4);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('d'));
    insta::assert_snapshot!("detail_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("detail_docked_200x50", screen(&mut app, 200, 50));
}

#[test]
fn help_lists_the_key_table() {
    let mut app = demo_app();
    key(&mut app, KeyCode::Char('?'));
    let text = screen(&mut app, 120, 40);
    insta::assert_snapshot!(text);
    // What does not fit is reached by scrolling.
    let mut seen = text;
    for _ in 0..40 {
        key(&mut app, KeyCode::Down);
        seen.push_str(&screen(&mut app, 120, 40));
    }
    for b in headroom::ui::keys::BINDINGS {
        assert!(seen.contains(b.help), "help is missing \"{}\"", b.help);
    }
}

#[test]
fn a_clipped_master_latches_until_cleared() {
    let mut app = demo_app();
    playing(&mut app, 0.0, 1.25);
    playing(&mut app, 5.0, 0.1);
    let master = app.channels.len() - 1;
    assert!(app.meters[master].sides[0].clipped, "still lit five seconds later");
    let text = screen(&mut app, 80, 24);
    insta::assert_snapshot!(text);
    key(&mut app, KeyCode::Char('c'));
    assert!(!app.meters[master].sides[0].clipped);
}

#[test]
fn twenty_fast_fader_key_repeats_land_as_twenty_steps() {
    let mut app = demo_app();
    let fader = param(&app, "strip.Drums.fader");
    assert_eq!(app.targets.get(fader), -4.0);
    let mut sent = Vec::new();
    for _ in 0..20 {
        sent.extend(key(&mut app, KeyCode::Down));
    }
    let expected: Vec<_> = (1..=20)
        .map(|i| headroom::ui::model::Effect::Engine(Command::Move { param: fader, value: -4.0 - 0.5 * i as f32 }))
        .collect();
    assert_eq!(sent, expected);
    assert_eq!(app.targets.get(fader), -14.0);
    // The engine's meters arriving between keys never move the target back.
    playing(&mut app, 0.1, 0.3);
    assert_eq!(app.targets.get(fader), -14.0);
    // One gesture, one undo step.
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.targets.get(fader), -4.0);
    key(&mut app, KeyCode::Char('U'));
    assert_eq!(app.targets.get(fader), -14.0);
}

#[test]
fn keys_select_move_mute_solo_and_type_values() {
    let mut app = demo_app();
    key(&mut app, KeyCode::Right);
    assert_eq!(app.selected_channel().name, "Bass");
    key(&mut app, KeyCode::Char('K'));
    assert_eq!(app.targets.get(param(&app, "strip.Bass.fader")), 0.0, "3 dB up from -3");
    key(&mut app, KeyCode::Char('m'));
    key(&mut app, KeyCode::Char('s'));
    assert!(app.on(param(&app, "strip.Bass.mute")) && app.on(param(&app, "strip.Bass.solo")));
    key(&mut app, KeyCode::Char('.'));
    assert!((app.targets.get(param(&app, "strip.Bass.pan")) - 0.02).abs() < 1e-6);
    key(&mut app, KeyCode::Char('='));
    typed(&mut app, "-inf");
    assert_eq!(app.targets.get(param(&app, "strip.Bass.fader")), -90.0);
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "loud");
    assert!(app.status.as_ref().unwrap().text.contains("expected a level in dB or -inf"));
    assert_eq!(app.targets.get(param(&app, "strip.Bass.fader")), -90.0, "a bad value changes nothing");
    // In the detail, arrows walk and adjust the parameter list.
    key(&mut app, KeyCode::Char('d'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.table.spec(app.detail_param()).id, "strip.Bass.hpf.freq");
    key(&mut app, KeyCode::Right);
    let hz = app.targets.get(param(&app, "strip.Bass.hpf.freq"));
    assert!((hz - 30.0 * 2f32.powf(1.0 / 12.0)).abs() < 0.01, "{hz}");
    assert!(app.is_dirty());
}

#[test]
fn strips_page_in_banks_at_80_columns() {
    let mut app = demo_app();
    app.update(Msg::Resize(80, 24));
    assert_eq!(app.per_bank(), 6);
    for _ in 0..6 {
        key(&mut app, KeyCode::Right);
    }
    assert_eq!(app.selected_channel().name, "Echo", "buses follow the layout's order");
    assert_eq!(app.bank(), 6..7, "the seventh channel opens the second bank");
    assert!(screen(&mut app, 80, 24).contains("Echo"));
}

#[test]
fn the_mouse_selects_and_drags_a_fader() {
    let mut app = demo_app();
    app.update(Msg::Resize(80, 24));
    let layout = app.layout(ratatui::layout::Rect::new(0, 0, 80, 24));
    let (index, rect) = layout.strips[2];
    let travel = view::strip_rows(rect).travel;
    let mouse = |kind, row| MouseEvent { kind, column: travel.x + 3, row, modifiers: KeyModifiers::NONE };
    app.update(Msg::Mouse(mouse(MouseEventKind::Down(MouseButton::Left), travel.y + 4)));
    assert_eq!(app.selected, index);
    app.update(Msg::Mouse(mouse(MouseEventKind::Drag(MouseButton::Left), travel.bottom() - 1)));
    app.update(Msg::Mouse(mouse(MouseEventKind::Up(MouseButton::Left), travel.bottom() - 1)));
    assert_eq!(app.targets.get(app.channels[index].fader), -90.0, "dragged to the bottom: silence");
    app.update(Msg::Mouse(mouse(MouseEventKind::ScrollUp, travel.y + 4)));
    assert_eq!(app.targets.get(app.channels[index].fader), -60.0);
}

#[test]
fn saving_a_layout_makes_a_session_folder_and_keeps_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("mine.yaml");
    let template = "version: 1\nname: mine\nstrips:\n  - {name: Voice, input: {file: voice.wav}}\n";
    std::fs::write(&layout, template).unwrap();
    let mut app = app_on(load::load(&layout).unwrap());
    key(&mut app, KeyCode::Down);
    let effects = key(&mut app, KeyCode::F(2));
    let [headroom::ui::model::Effect::Save { file, version, doc, new_folder }] = effects.as_slice() else {
        panic!("one save: {effects:?}")
    };
    assert_eq!(file, &Path::new("mine").join("session.yaml"), "a folder named after the session, where we run");
    assert_eq!(new_folder.as_deref(), Some(dir.path()), "stem paths resolve from the layout's folder");
    // Carry the save out as the shell does, with "where we run" being a scratch folder.
    let here = tempfile::tempdir().unwrap();
    let target = here.path().join(file);
    let saved = headroom::ui::executor::save(&target, version.clone(), doc.clone(), new_folder.clone()).unwrap();
    app.update(Msg::Saved(Ok(saved)));
    assert!(!app.is_dirty());
    assert_eq!(app.file, target, "later saves go to the new session");
    assert_eq!(std::fs::read_to_string(&layout).unwrap(), template, "the template is untouched");
    let session = load::load(&here.path().join("mine")).unwrap().doc;
    assert_eq!(session.strips[0].values.number("fader_db"), Some(-0.5));
    let stem = session.strips[0].input.as_ref().unwrap().file.as_deref().unwrap();
    assert_eq!(Path::new(stem), std::fs::canonicalize(dir.path()).unwrap().join("voice.wav"));
}

#[test]
fn a_strip_is_rerouted_from_a_list_of_buses_and_undo_puts_it_back() {
    let mut app = demo_app();
    key(&mut app, KeyCode::Right); // Bass
    key(&mut app, KeyCode::Char('r'));
    let prompt = app.prompt.clone().expect("a list of destinations");
    assert_eq!(prompt.choices, ["master", "DrumBus", "Room", "Echo"]);
    assert_eq!(prompt.choices[prompt.choice], "master", "starts on where it goes now");
    assert!(screen(&mut app, 80, 24).lines().last().unwrap().starts_with("route Bass to:  master"));
    key(&mut app, KeyCode::Char('d'));
    let effects = key(&mut app, KeyCode::Enter);
    let engine_commands = |effects: &[headroom::ui::model::Effect]| -> Vec<Command> {
        effects
            .iter()
            .filter_map(|e| match e {
                headroom::ui::model::Effect::Engine(c) => Some(*c),
                _ => None,
            })
            .collect()
    };
    assert_eq!(engine_commands(&effects), [Command::SetOutput { channel: 1, bus: Some(0) }]);
    assert_eq!(app.channels[1].output, "DrumBus");
    assert!(app.is_dirty());
    assert_eq!(app.current_doc().strips[1].output.as_deref(), Some("DrumBus"));
    assert!(screen(&mut app, 80, 24).lines().nth(2).unwrap().starts_with("│→DrumBu│┃→DrumBu┃"), "shown on the strip");

    let effects = key(&mut app, KeyCode::Char('u'));
    assert_eq!(engine_commands(&effects), [Command::SetOutput { channel: 1, bus: None }]);
    assert_eq!(app.current_doc().strips[1].output, None);
    assert!(!app.is_dirty());
}

#[test]
fn a_bus_is_only_offered_routes_that_do_not_loop() {
    let mut app = demo_app();
    let room = app.channels.iter().position(|c| c.name == "Room").unwrap();
    for _ in 0..room {
        key(&mut app, KeyCode::Right);
    }
    key(&mut app, KeyCode::Char('r'));
    // Echo sends into Room, so Room may not go into Echo.
    assert_eq!(app.prompt.clone().unwrap().choices, ["master", "DrumBus"]);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.prompt.clone().unwrap().choices, ["DrumBus"], "nor send to it");
}

/// Strips and buses are named apart (`strip.Drums`, `bus.Drums`): a strip may go to, and
/// send to, a bus of its own name; only a bus is kept from itself.
#[test]
fn a_strip_is_offered_the_bus_that_shares_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("named.yaml");
    let text = "version: 1\nname: named\nbuses:\n  - {name: Drums, kind: group}\n  - {name: Verb, kind: fx}\n\
                strips:\n  - {name: Drums, input: {ports: [x:d]}}\n";
    std::fs::write(&layout, text).unwrap();
    let mut app = app_on(load::load(&layout).unwrap());
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.prompt.clone().unwrap().choices, ["master", "Drums", "Verb"]);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.current_doc().strips[0].output.as_deref(), Some("Drums"));
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.prompt.clone().unwrap().choices, ["Drums", "Verb"]);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Right); // the bus Drums
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.prompt.clone().unwrap().choices, ["master", "Verb"]);
}

#[test]
fn a_send_is_added_raised_removed_and_undone() {
    let mut app = demo_app();
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right); // Keys, which sends to Room in the demo
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.prompt.clone().unwrap().choices, ["DrumBus", "Echo"]);
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Enter);
    let level = param(&app, "strip.Keys.send.Echo");
    assert_eq!(app.detail_param(), level, "the detail opens on the new send's level");
    assert_eq!(app.current_doc().strips[2].sends.iter().map(|s| s.bus.as_str()).collect::<Vec<_>>(), ["Room", "Echo"]);
    let effects = key(&mut app, KeyCode::Right);
    assert_eq!(effects, [headroom::ui::model::Effect::Engine(Command::Move { param: level, value: -60.0 })]);
    assert!(screen(&mut app, 100, 40).contains("send Echo     -60.0 dB post"));

    key(&mut app, KeyCode::Char('x'));
    assert!(app.current_doc().strips[2].sends.iter().all(|s| s.bus != "Echo"));
    assert_eq!(app.targets.get(level), -90.0, "a removed send is silent");
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.targets.get(level), -60.0, "undo brings it back as it was");
    key(&mut app, KeyCode::Char('u'));
    key(&mut app, KeyCode::Char('u'));
    assert!(!app.is_dirty(), "undone back to the session as loaded");
    assert!(!app.detail_params().contains(&level), "and the unused send leaves the list");
}

#[test]
fn a_surface_shows_its_state_bank_touch_and_where_an_unpicked_fader_sits() {
    use headroom::control::surface::{LinkState, SurfaceEvent};
    use headroom::ui::model::Effect;
    let mut app = demo_app();
    let device = "Korg nanoKONTROL2".to_string();
    let link = |state| Msg::Surface(SurfaceEvent::Link { device: device.clone(), state });
    app.update(link(LinkState::Waiting { pattern: "nanoKONTROL2".into() }));
    assert!(screen(&mut app, 160, 40).lines().next().unwrap().contains("○ Korg nanoKONTROL2 (not connected)"));
    app.update(link(LinkState::Connected { port: "nanoKONTROL2:out".into(), caveat: None }));
    app.update(Msg::Surface(SurfaceEvent::Bank { device: device.clone(), first: 1, width: 8 }));
    // The hardware fader of Bass sits low and has not reached Bass's value; a hand is on Keys.
    let bass = param(&app, "strip.Bass.fader");
    app.update(Msg::Surface(SurfaceEvent::Pickup { param: bass, position: 0.1 }));
    app.update(Msg::Surface(SurfaceEvent::Touch { channel: 2, touched: true }));
    let shown = screen(&mut app, 160, 40);
    insta::assert_snapshot!(shown);
    assert!(shown.lines().next().unwrap().contains("● Korg nanoKONTROL2"));
    assert!(shown.contains('▸'), "the ghost of the unpicked fader");
    // Picked up (the surface sets the shared target, then tells the console): the ghost goes,
    // and the console shows the move and can take it back.
    let before = app.targets.get(bass);
    app.targets.set(bass, -20.0);
    app.update(Msg::Surface(SurfaceEvent::Param { param: bass, before, value: -20.0 }));
    assert!(!screen(&mut app, 160, 40).contains('▸'));
    assert_eq!(app.shown(bass), -20.0);
    assert_eq!(key(&mut app, KeyCode::Char('u')), [Effect::Engine(Command::SetParam { param: bass, value: before })]);
    assert_eq!(app.targets.get(bass), before);
    // Unplugged: the console says so.
    app.update(link(LinkState::Waiting { pattern: "nanoKONTROL2".into() }));
    let shown = screen(&mut app, 160, 40);
    assert!(shown.contains("Korg nanoKONTROL2 is gone (unplugged?)"), "{shown}");
}

/// Readings of a rolling transport at 12 s in which `automated` parameters have these modes,
/// states and played values: the engine's telemetry says so (standing in for the engine),
/// and the readings are taken from it as the shell takes them.
fn automation_readings(
    app: &mut App,
    automated: &[(&str, Mode, headroom::engine::automation::PlayState, f32)],
    write_enabled: bool,
    pass_open: bool,
) {
    for &(id, _, state, played) in automated {
        app.targets.automation().publish(param(app, id), state, played);
    }
    let mut automation = AutomationReading::all(app.targets.automation());
    for &(id, mode, ..) in automated {
        automation[param(app, id).0 as usize].mode = mode;
    }
    let channels = vec![ChannelReading::default(); app.channels.len()];
    app.update(Msg::Readings(Readings {
        now_s: 1.0,
        channels,
        frame: 12 * 48_000,
        rolling: true,
        automation,
        write_enabled,
        pass_open,
        ..Readings::default()
    }));
}

/// Two passes on the Lead fader: a ride down to -12 dB from 8 to 14 s, and one taken out.
fn lead_passes() -> Store {
    let stretch = |points: &[(u64, f32)]| points.iter().map(|&(frame, value)| Point { frame, value }).collect();
    let pass = |id, name: Option<&str>, active, points: &[(u64, f32)]| Pass {
        id,
        name: name.map(str::to_string),
        made: format!("2026-12-01 14:0{id}:00"),
        start: points[0].0,
        end: points[points.len() - 1].0,
        active,
        writes: std::collections::BTreeMap::from([("strip.Lead.fader".to_string(), vec![stretch(points)])]),
        xruns: Vec::new(),
    };
    Store::new(
        std::collections::BTreeMap::from([("strip.Lead.fader".to_string(), Mode::Touch)]),
        vec![
            pass(1, Some("verse ride"), true, &[(8 * 48_000, 0.0), (10 * 48_000, -12.0), (14 * 48_000, -12.0)]),
            pass(2, None, false, &[(16 * 48_000, 3.0), (18 * 48_000, 3.0)]),
        ],
    )
}

#[test]
fn the_automation_view_shows_modes_the_lane_around_the_play_position_and_the_passes() {
    let mut app = demo_app();
    app.update(Msg::Passes(Box::new(lead_passes())));
    for _ in 0..3 {
        key(&mut app, KeyCode::Right); // Lead
    }
    // Lead's fader plays its lane at -12 dB, its pan is touched and written.
    use headroom::engine::automation::PlayState;
    let reading = PlayState::READING;
    let writing = PlayState { touched: true, ..PlayState::WRITING };
    automation_readings(
        &mut app,
        &[("strip.Lead.fader", Mode::Touch, reading, -12.0), ("strip.Lead.pan", Mode::Latch, writing, -0.3)],
        true,
        true,
    );
    let strips = screen(&mut app, 100, 40);
    assert!(strips.lines().next().unwrap().contains("● WRITING"), "write enable stands out in the top bar");
    assert!(strips.contains("-12.0") && strips.contains("L30"), "the strip shows what automation plays");
    assert!(strips.contains("○*touch"), "fader mode, and a mark for the other automated parameter");
    key(&mut app, KeyCode::Char('A'));
    let shown = screen(&mut app, 100, 40);
    insta::assert_snapshot!("automation_docked_100x40", shown);
    assert!(shown.contains("Lead — automation"));
    assert!(shown.contains("strip.Lead.fader · 3 points"), "the lane of the parameter under the cursor");
    assert!(shown.contains("pass 1 \"verse ride\" (strip.Lead.fader, 0:08-0:14) at 14:01"));
    assert!(shown.contains("pass 2 (strip.Lead.fader, 0:16-0:18) at 14:02 taken out"));
    insta::assert_snapshot!("automation_80x24", screen(&mut app, 80, 24));
}

#[test]
fn automation_keys_ask_for_modes_write_enable_passes_and_times() {
    use headroom::automation::recorder::Request;
    use headroom::ui::model::Effect;
    let mut app = demo_app();
    app.update(Msg::Passes(Box::new(lead_passes())));
    for _ in 0..3 {
        key(&mut app, KeyCode::Right);
    }
    // On the strips a digit sets the strip's mode: every parameter but solo and solo-safe.
    let effects = key(&mut app, KeyCode::Char('4'));
    let [Effect::Automation(Request::SetModes { params, mode: Mode::Touch })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(params.contains(&param(&app, "strip.Lead.fader")) && params.contains(&param(&app, "strip.Lead.eq.2.gain")));
    assert!(!params.contains(&param(&app, "strip.Lead.solo")) && !params.contains(&param(&app, "strip.Bass.fader")));
    assert_eq!(key(&mut app, KeyCode::Char('W')), [Effect::Automation(Request::WriteEnable(true))]);
    // A second W before the engine has answered takes the first one back.
    assert_eq!(key(&mut app, KeyCode::Char('W')), [Effect::Automation(Request::WriteEnable(false))]);
    assert_eq!(key(&mut app, KeyCode::Char('W')), [Effect::Automation(Request::WriteEnable(true))]);
    automation_readings(&mut app, &[], true, false);
    assert!(screen(&mut app, 100, 40).lines().next().unwrap().contains("● WRITE ARMED"));
    assert_eq!(key(&mut app, KeyCode::Char('W')), [Effect::Automation(Request::WriteEnable(false))]);

    key(&mut app, KeyCode::Char('A'));
    let pan = param(&app, "strip.Lead.pan");
    while app.detail_param() != pan {
        key(&mut app, KeyCode::Down);
    }
    // In the view a digit sets the mode of the parameter under the cursor.
    assert_eq!(
        key(&mut app, KeyCode::Char('5')),
        [Effect::Automation(Request::SetModes { params: vec![pan], mode: Mode::Latch })]
    );
    // The pass list, newest first: x takes pass 2 out (it is out: brings it back), then pass 1.
    assert_eq!(key(&mut app, KeyCode::Char('x')), [Effect::Automation(Request::Toggle(2))]);
    key(&mut app, KeyCode::PageDown);
    assert_eq!(key(&mut app, KeyCode::Char('x')), [Effect::Automation(Request::Toggle(1))]);
    key(&mut app, KeyCode::Char('n'));
    for _ in 0.."verse ride".len() {
        key(&mut app, KeyCode::Backspace);
    }
    let mut named = Vec::new();
    for c in "chorus".chars() {
        named.extend(key(&mut app, KeyCode::Char(c)));
    }
    named.extend(key(&mut app, KeyCode::Enter));
    assert_eq!(named, [Effect::Automation(Request::Rename(1, "chorus".into()))]);
    assert_eq!(key(&mut app, KeyCode::Char('u')), [Effect::Automation(Request::Undo)], "u takes back a pass here");
    assert_eq!(key(&mut app, KeyCode::Char('U')), [Effect::Automation(Request::Redo)]);
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    let mut times = Vec::new();
    for c in "400".chars() {
        times.extend(key(&mut app, KeyCode::Char(c)));
    }
    times.extend(key(&mut app, KeyCode::Enter));
    assert_eq!(times, [Effect::Automation(Request::Times { glide_ms: 400.0, idle_ms: 500.0 })]);
    key(&mut app, KeyCode::Char('G'));
    typed(&mut app, "x");
    assert!(app.status.as_ref().unwrap().text.contains("expected a time in ms"), "a bad time says what was expected");
}

#[test]
fn a_ride_on_the_console_starts_from_the_lane_and_the_mouse_holds_a_touch() {
    use headroom::ui::model::Effect;
    let mut app = demo_app();
    let lead = param(&app, "strip.Lead.fader");
    for _ in 0..3 {
        key(&mut app, KeyCode::Right);
    }
    let reading = headroom::engine::automation::PlayState::READING;
    automation_readings(&mut app, &[("strip.Lead.fader", Mode::Touch, reading, -12.0)], true, false);
    // The key moves the fader from where the lane has it, as a hand would.
    assert_eq!(key(&mut app, KeyCode::Down), [Effect::Engine(Command::Move { param: lead, value: -12.5 })]);
    // In Read a move is not heard: the console says why.
    automation_readings(&mut app, &[("strip.Lead.fader", Mode::Read, reading, -12.0)], true, false);
    key(&mut app, KeyCode::Down);
    assert!(app.status.as_ref().unwrap().text.contains("follows its lane (read)"), "{:?}", app.status);

    app.update(Msg::Resize(80, 24));
    let layout = app.layout(ratatui::layout::Rect::new(0, 0, 80, 24));
    let (_, rect) = layout.strips[3];
    let travel = view::strip_rows(rect).travel;
    let mouse = |kind, row| MouseEvent { kind, column: travel.x + 3, row, modifiers: KeyModifiers::NONE };
    let down = app.update(Msg::Mouse(mouse(MouseEventKind::Down(MouseButton::Left), travel.y + 4)));
    assert_eq!(down[0], Effect::Engine(Command::Touch { param: lead, touched: true }));
    let up = app.update(Msg::Mouse(mouse(MouseEventKind::Up(MouseButton::Left), travel.y + 4)));
    assert_eq!(up, [Effect::Engine(Command::Touch { param: lead, touched: false })]);

    // Automation lets go (switched Off): the fader stays where the lane left it.
    automation_readings(&mut app, &[("strip.Lead.fader", Mode::Read, reading, -3.0)], false, false);
    automation_readings(
        &mut app,
        &[("strip.Lead.fader", Mode::Off, headroom::engine::automation::PlayState::LIVE, -3.0)],
        false,
        false,
    );
    assert_eq!((app.targets.get(lead), app.shown(lead)), (-3.0, -3.0));
}

#[test]
fn a_typed_value_out_of_range_is_refused_and_a_step_stops_at_the_end_and_says_so() {
    let mut app = demo_app();
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('d'));
    while app.table.spec(app.detail_param()).id != "strip.Bass.eq.2.gain" {
        key(&mut app, KeyCode::Down);
    }
    let gain = app.detail_param();
    let before = app.targets.get(gain);
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "350");
    let told = app.status.as_ref().unwrap();
    assert!(told.error, "said as a problem");
    assert_eq!(told.text, "strip.Bass.eq.2.gain: 350 is out of range; expected -18.0 dB .. +18.0 dB");
    assert_eq!(app.targets.get(gain), before, "nothing changed");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "-2.5");
    assert_eq!(app.targets.get(gain), -2.5, "a value in range is taken");

    // Raised in big steps, the fader stops at +10 dB and says it is at the top.
    key(&mut app, KeyCode::Esc);
    for _ in 0..10 {
        key(&mut app, KeyCode::Char('K'));
    }
    assert_eq!(app.targets.get(param(&app, "strip.Bass.fader")), 10.0);
    assert_eq!(app.status.as_ref().unwrap().text, "strip.Bass.fader is at the top of its range (+10.0 dB)");
}

/// A typed command line, as headless standard input sends it.
fn line(app: &mut App, text: &str) -> Vec<headroom::ui::model::Effect> {
    let typed = headroom::ui::model::parse_line(text).unwrap().unwrap();
    app.update(Msg::Typed(typed))
}

#[test]
fn typed_commands_go_through_the_consoles_update_with_undo_the_unsaved_mark_and_the_quit_guard() {
    use headroom::ui::model::Effect;
    let mut app = demo_app();
    app.keep_replies();
    let fader = param(&app, "strip.Bass.fader");
    let before = app.targets.get(fader);
    let effects = line(&mut app, "set strip.Bass.fader -6");
    assert_eq!(effects, vec![Effect::Engine(Command::SetParam { param: fader, value: -6.0 })], "a recall, not a hand");
    assert!(app.is_dirty(), "a typed set marks the session unsaved");
    let effects = line(&mut app, "set strip.Bass.eq.2.gain 350");
    assert!(effects.is_empty());
    let replies: Vec<String> = app.take_replies().into_iter().map(|r| r.text).collect();
    assert_eq!(
        replies,
        ["strip.Bass.fader = -6.0 dB", "strip.Bass.eq.2.gain: 350 is out of range; expected -18.0 dB .. +18.0 dB"]
    );

    // quit refuses while the set is unsaved; undo takes it back, redo brings it again.
    assert!(!line(&mut app, "quit").contains(&Effect::Quit));
    assert_eq!(app.take_replies()[0].text, "unsaved changes: `save` keeps them, `quit!` quits without saving");
    line(&mut app, "undo");
    assert_eq!(app.targets.get(fader), before);
    line(&mut app, "redo");
    assert_eq!(app.targets.get(fader), -6.0);

    // save writes the mix as set; a version is saved beside it; quit! quits whatever is unsaved.
    let Some(Effect::Save { doc, version: None, .. }) = line(&mut app, "save").pop() else { panic!("a save") };
    assert_eq!(doc.strips[1].values.number("fader_db"), Some(-6.0));
    let Some(Effect::Save { version: Some(version), .. }) = line(&mut app, "save-version rough mix").pop() else {
        panic!("a version")
    };
    assert!(version.to_string_lossy().contains("versions/rough_mix-"), "{}", version.display());
    assert_eq!(line(&mut app, "quit!"), vec![Effect::Quit]);
}

#[test]
fn after_a_touch_ride_switched_to_write_the_console_shows_saves_and_writes_the_same_value() {
    use headroom::engine::automation::PlayState;
    let mut app = demo_app();
    let bass = param(&app, "strip.Bass.fader");
    line(&mut app, "set strip.Bass.fader -4");
    // A Touch ride kept earlier: the lane plays -1 dB over the -4 dB underneath.
    automation_readings(&mut app, &[("strip.Bass.fader", Mode::Touch, PlayState::READING, -1.0)], true, false);
    assert_eq!(app.shown(bass), -1.0, "the strip shows what plays");
    // Switched to Write: the engine takes the control where the lane left it and lets go.
    let effects = line(&mut app, "mode strip.Bass.fader write");
    assert!(matches!(effects[..], [headroom::ui::model::Effect::Automation(_)]));
    automation_readings(&mut app, &[("strip.Bass.fader", Mode::Write, PlayState::LIVE, -1.0)], true, false);
    let saved = app.current_doc();
    assert_eq!(
        (app.shown(bass), app.targets.get(bass), saved.strips[1].values.number("fader_db")),
        (-1.0, -1.0, Some(-1.0)),
        "shown, the target written next, and saved: one value"
    );
}

/// Over SSH a window is resized all the time, and the terminal's buffer takes its new size
/// before the console hears of it. Drawn at 100 sizes from 40×12 to 250×70, each first with
/// the size the console last heard of and then with the new one, with each view open in
/// turn, the console never draws outside its buffer.
/// The keys that open each view in turn: the strips, the detail, the automation view, help,
/// the route prompt and the typed-level prompt.
const EVERY_VIEW: [&[KeyCode]; 6] = [
    &[],
    &[KeyCode::Char('d')],
    &[KeyCode::Char('A')],
    &[KeyCode::Char('?')],
    &[KeyCode::Char('r')],
    &[KeyCode::Char('=')],
];

#[test]
fn the_console_survives_a_hundred_resizes_with_every_view_open() {
    let mut app = app_on(load::load(Path::new("layouts/band-16.yaml")).unwrap());
    playing(&mut app, 0.0, 0.4);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    app.update(Msg::Resize(120, 40));
    // A fixed linear congruential sequence: the same sizes every run.
    let mut seed: u32 = 12345;
    let mut next = |range: u32| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (seed >> 16) % range
    };
    for step in 0..100 {
        let (width, height) = (40 + next(211) as u16, 12 + next(59) as u16);
        for _ in 0..next(20) {
            key(&mut app, KeyCode::Right);
        }
        key(&mut app, KeyCode::Esc);
        for &code in EVERY_VIEW[step % EVERY_VIEW.len()] {
            key(&mut app, code);
        }
        terminal.backend_mut().resize(width, height);
        terminal.draw(|f| view::draw(f, &app)).unwrap();
        app.update(Msg::Resize(width, height));
        terminal.draw(|f| view::draw(f, &app)).unwrap();
    }
}

#[test]
fn every_size_down_to_one_by_one_draws_with_every_view_open() {
    let mut app = app_on(load::load(Path::new("layouts/band-16.yaml")).unwrap());
    playing(&mut app, 0.0, 0.4);
    let mut terminal = Terminal::new(TestBackend::new(1, 1)).unwrap();
    for codes in EVERY_VIEW {
        key(&mut app, KeyCode::Esc);
        for &code in codes {
            key(&mut app, code);
        }
        for width in (1..=40).chain([60, 80]) {
            for height in (1..=14).chain([60]) {
                terminal.backend_mut().resize(width, height);
                terminal.draw(|f| view::draw(f, &app)).unwrap();
                app.update(Msg::Resize(width, height));
                terminal.draw(|f| view::draw(f, &app)).unwrap();
            }
        }
    }
    // Too small for a console: it says so rather than drawing a broken one.
    let small = screen(&mut app, 30, 8);
    let said = small.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(said.contains("terminal too small for the console: 30×8, it needs 40×12"), "{small}");
}

#[test]
fn a_panic_in_the_console_still_keeps_unsaved_changes_beside_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("demo.yaml");
    std::fs::copy("layouts/demo.yaml", &layout).unwrap();
    let mut app = app_on(load::load(&layout).unwrap());
    key(&mut app, KeyCode::Up);
    assert!(app.is_dirty());
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        headroom::ui::executor::autosave_on_panic(&mut app, |_| panic!("a bug in a view"))
    }));
    assert!(panicked.is_err(), "the panic goes on");
    let kept = load::load(&dir.path().join("demo.autosave.yaml")).unwrap();
    assert_eq!(kept.doc, app.current_doc(), "what was unsaved is in the autosave");
}

#[test]
fn connections_not_made_are_counted_marked_on_their_strips_and_listed_with_why() {
    use headroom::audio::jack_backend::Unconnected;
    let mut app = app_on(load::load(Path::new("layouts/band-16.yaml")).unwrap());
    let first = screen(&mut app, 200, 50);
    assert!(!first.lines().next().unwrap().contains("unconnected") && !first.contains('✗'), "{first}");
    let waiting = |from: &str, to: &str, refused: Option<&str>| Unconnected {
        from: from.into(),
        to: to.into(),
        refused: refused.map(str::to_string),
    };
    let unconnected = vec![
        waiting("physical:capture_2", "band-16:Snare_in", None),
        waiting("band-16:master_out_R", "physical:playback_2", Some("physical:playback_2 is an output port; …")),
    ];
    app.update(Msg::Readings(Readings { unconnected: unconnected.into(), ..Readings::default() }));
    let shown = screen(&mut app, 200, 50);
    let top = shown.lines().next().unwrap();
    assert!(top.contains("│ ✗ 2 unconnected │"), "{top}");
    let names = line_with(&shown, "Kick");
    assert!(names.contains("✗Snare") && !names.contains("✗Kick"), "Snare's input is the one not made: {names}");
    assert!(shown.contains("✗master") || shown.contains("✗Master"), "and the master's right output:\n{shown}");

    key(&mut app, KeyCode::Char('P'));
    let listed = screen(&mut app, 200, 50);
    assert!(listed.contains("connections: 2 not made"), "{listed}");
    assert!(line_with(&listed, "Snare_in").contains("physical:capture_2 → band-16:Snare_in  waiting for the port"));
    assert!(line_with(&listed, "master_out_R").contains("is an output port"), "{listed}");
    key(&mut app, KeyCode::Char('P'));
    assert!(!screen(&mut app, 200, 50).contains("not made"), "P closes the list");
}

/// The demo playing with the master at `master_peak` and `master_overs` samples over full
/// scale counted by the engine so far; the transport at `frame`.
fn master_at(app: &mut App, now_s: f64, master_peak: f32, master_overs: u64, frame: u64, rolling: bool) {
    let count = app.channels.len();
    let channels = (0..count)
        .map(|i| {
            let peak = if i == count - 1 { master_peak } else { 0.1 };
            ChannelReading {
                peak: [peak, peak],
                overs: if i == count - 1 { master_overs } else { 0 },
                ..Default::default()
            }
        })
        .collect();
    app.update(Msg::Readings(Readings { now_s, channels, frame, rolling, ..Readings::default() }));
}

#[test]
fn the_master_is_judged_on_its_peak_since_the_reset_not_the_held_peak_and_shows_both() {
    let mut app = demo_app();
    app.keep_replies();
    // A chorus peak at -4.4 dBFS, then four seconds around -8: the 2-second hold has let go,
    // the song's peak has not.
    master_at(&mut app, 0.0, 0.6, 0, 48_000, true);
    for k in 1..=40 {
        master_at(&mut app, k as f64 * 0.1, 0.4, 0, 48_000 + k * 4_800, true);
    }
    let master = app.meters.last().unwrap();
    assert!((master.sides[0].hold_db + 7.96).abs() < 0.05, "held {}", master.sides[0].hold_db);
    assert!((master.max_db + 4.44).abs() < 0.01, "max {}", master.max_db);
    let text = screen(&mut app, 200, 50);
    assert!(text.contains("pk  -8.0") && text.contains("max -4.4"), "{text}");
    assert!(text.contains("+1.6 hot"), "judged on -4.4 against -6: {text}");
    // The typed report says the same.
    line(&mut app, "meters");
    let report: Vec<String> = app.take_replies().into_iter().map(|r| r.text).collect();
    let last = report.last().unwrap();
    assert!(last.starts_with("master target -10 .. -6 dBFS: +1.6 dB hot;"), "{report:?}");
    // A reset starts the song's peak again, and the loudness meters with it.
    let effects = key(&mut app, KeyCode::Char('c'));
    assert!(effects.contains(&headroom::ui::model::Effect::ResetLoudness), "{effects:?}");
    master_at(&mut app, 4.1, 0.35, 0, 48_000 + 41 * 4_800, true);
    assert!(screen(&mut app, 200, 50).contains("in range"));
}

#[test]
fn samples_over_full_scale_on_the_master_are_counted_from_the_reset_and_shown() {
    let mut app = demo_app();
    app.keep_replies();
    master_at(&mut app, 0.0, 0.5, 40, 0, true);
    key(&mut app, KeyCode::Char('c'));
    master_at(&mut app, 0.1, 1.3, 52, 4_800, true);
    assert_eq!(app.meters.last().unwrap().overs(), 12, "counted since the reset");
    let text = screen(&mut app, 200, 50);
    assert!(text.contains("CLIP 12"), "{text}");
    line(&mut app, "meters");
    let report: Vec<String> = app.take_replies().into_iter().map(|r| r.text).collect();
    assert!(report.iter().any(|l| l.starts_with("master") && l.contains("over 12")), "{report:?}");
}

#[test]
fn meters_reset_when_the_transport_rolls_from_the_start_if_the_session_asks() {
    use headroom::ui::model::Effect;
    let resets = |app: &mut App| {
        master_at(app, 0.0, 0.2, 0, 0, false);
        master_at(app, 0.1, 0.2, 0, 4_800, true);
        // Stopped half way and rolled again: not from the start.
        master_at(app, 0.2, 0.2, 0, 9_600, false);
        let again =
            app.update(Msg::Readings(Readings { now_s: 0.3, frame: 14_400, rolling: true, ..Readings::default() }));
        assert!(!again.contains(&Effect::ResetLoudness));
    };
    let mut plain = demo_app();
    resets(&mut plain);
    assert!(plain.meters.last().unwrap().max_db > -20.0, "no reset asked: the peak stays");

    let mut loaded = load::load(Path::new("layouts/demo.yaml")).unwrap();
    loaded.doc.meters.reset_on_roll_from_start = true;
    let mut app = app_on(loaded);
    master_at(&mut app, 0.0, 0.9, 0, 0, false);
    let count = app.channels.len();
    let effects = app.update(Msg::Readings(Readings {
        now_s: 0.1,
        channels: vec![ChannelReading { peak: [0.1, 0.1], ..Default::default() }; count],
        frame: 4_800,
        rolling: true,
        ..Readings::default()
    }));
    assert!(effects.contains(&Effect::ResetLoudness), "{effects:?}");
    assert!((app.meters.last().unwrap().max_db + 20.0).abs() < 0.01, "the peak before the roll is forgotten");
}

#[test]
fn the_peak_target_is_the_sessions_and_a_bad_one_is_refused_with_the_expected_form() {
    let mut app = demo_app();
    app.keep_replies();
    line(&mut app, "target -12 -8");
    assert!(app.is_dirty(), "the target is saved with the session");
    assert_eq!(app.current_doc().meters.peak_target_db, [-12.0, -8.0]);
    line(&mut app, "target -6 -10");
    line(&mut app, "target loud");
    let replies: Vec<String> = app.take_replies().into_iter().map(|r| r.text).collect();
    assert_eq!(replies[0], "peak target -12 .. -8 dBFS");
    assert!(replies[1].contains("low then high, from -60 to 0") && replies[1].ends_with("found -6 -10"), "{replies:?}");
    assert!(replies[2].contains("found \"loud\""), "{replies:?}");
    assert_eq!(app.current_doc().meters.peak_target_db, [-12.0, -8.0], "refused targets change nothing");
}

#[test]
fn p_moves_every_meter_round_its_points_and_the_detail_shows_point_peak_and_overs() {
    let mut app = demo_app();
    let points: Vec<ParamIndex> = app.channels.iter().filter_map(|ch| ch.meter).collect();
    assert_eq!(points.len(), app.channels.len() - 1, "every strip and bus, not the master");
    key(&mut app, KeyCode::Char('p'));
    assert!(points.iter().all(|&p| app.targets.get(p) == 0.0), "post-fader → input");
    key(&mut app, KeyCode::Char('p'));
    assert!(points.iter().all(|&p| app.targets.get(p) == 1.0), "input → pre-fader");
    master_at(&mut app, 0.0, 0.5, 0, 0, true);
    key(&mut app, KeyCode::Char('d'));
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("meter pre-fader  peak -20.0 dBFS"), "{text}");
    key(&mut app, KeyCode::Char('p'));
    assert!(points.iter().all(|&p| app.targets.get(p) == 2.0), "pre-fader → post-fader, where it began");
}

#[test]
fn r_arms_a_real_time_print_of_the_buses_typed_and_stops_the_one_under_way() {
    use headroom::audio::jack_backend::PrintStatus;
    use headroom::ui::model::Effect;
    let mut app = demo_app();
    key(&mut app, KeyCode::Char('R'));
    assert!(screen(&mut app, 120, 30).contains("real-time print of the master, and of buses"));
    for c in "DrumBus, Room".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let effects = key(&mut app, KeyCode::Enter);
    let Some(Effect::StartPrint(files)) = effects.last() else { panic!("a print: {effects:?}") };
    let date = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(
        files.master,
        Path::new("renders").join(format!("demo-{date}-1-live.wav")),
        "a layout prints into ./renders"
    );
    let stems: Vec<String> =
        files.buses.iter().map(|b| b.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(stems, [format!("demo-{date}-1-live-stem-DrumBus.wav"), format!("demo-{date}-1-live-stem-Room.wav")]);
    // Under way: the top bar says so, and R stops it.
    app.update(Msg::Readings(Readings {
        print: Some(PrintStatus { armed: false, seconds: 3.25 }),
        rolling: true,
        ..Readings::default()
    }));
    assert!(screen(&mut app, 160, 30).contains("● PRINT 3.2 s"));
    assert_eq!(key(&mut app, KeyCode::Char('R')), vec![Effect::StopPrint]);
    // A bus the session lacks is refused, naming those it has.
    app.keep_replies();
    line(&mut app, "print Strings");
    assert_eq!(
        app.take_replies()[0].text,
        "real-time print not armed: no bus \"Strings\"; the session's buses: DrumBus, Room, Echo (or all)"
    );
}

#[test]
fn a_ping_that_came_back_is_kept_in_the_session_and_one_that_did_not_says_what_to_check() {
    use headroom::ui::model::Effect;
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("gear.yaml");
    std::fs::write(
        &layout,
        "version: 1\nname: gear\nstrips:\n  - {name: Vox, input: {ports: [x:a]}, insert: {send: [y:in], return: [y:out]}}\n  - {name: Gtr, input: {ports: [x:b]}}\n",
    )
    .unwrap();
    let mut app = app_on(load::load(&layout).unwrap());
    app.keep_replies();
    let effects = line(&mut app, "insert measure strip.Vox");
    assert_eq!(effects, vec![Effect::Engine(Command::MeasureInsert { channel: 0 })]);
    line(&mut app, "insert measure strip.Gtr");
    let ping = |app: &mut App, pings: u32, frames: u32| {
        let channels = (0..app.channels.len())
            .map(|c| ChannelReading {
                insert_ping: if c == 0 { (pings, frames) } else { (0, 0) },
                ..Default::default()
            })
            .collect();
        app.update(Msg::Readings(Readings { channels, ..Readings::default() }));
    };
    ping(&mut app, 1, 356);
    ping(&mut app, 1, 356);
    ping(&mut app, 2, u32::MAX);
    ping(&mut app, 3, 9000);
    let said: Vec<String> = app.take_replies().into_iter().map(|r| r.text).collect();
    assert_eq!(said[1], "Gtr has no hardware insert (`insert: {send: [...], return: [...]}` in the session)");
    assert_eq!(said[2], "Vox: hardware insert round trip 356 frames (7.42 ms), compensated");
    assert!(said[3].starts_with("Vox: the ping did not come back"), "{said:?}");
    assert!(
        said[4].contains("9000 frames (187.50 ms), longer than the 8191 frames headroom can compensate"),
        "{said:?}"
    );
    assert_eq!(said.len(), 5, "each ping is said once: {said:?}");
    // The 356 is kept for the next session; the 9000 is not, where it would stop the session loading.
    assert_eq!(app.current_doc().strips[0].insert.as_ref().unwrap().latency_frames, Some(356));
    assert!(app.is_dirty());
}

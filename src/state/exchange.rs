//! Scenes and settings as files people move between machines: JSON and XML, one versioned
//! schema (docs/exchange.md). The same document holds the scene files pupitre keeps.
//!
//! Writing is deterministic (sorted settings, scenes by slot, values by parameter, floats in
//! their shortest exact form), so export → import → export gives the same bytes. Reading checks
//! everything before anything is used and names the line and column of each problem.

use std::path::Path;
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde::Deserialize;
use serde_json::value::RawValue as RawJson;

use super::scene::{check_name, SavedValue, Scene, Scope, SLOTS};
use super::settings::is_setting;
use crate::desk::ParamId;
use crate::tomlfile::{line_column, Diagnostic, Diagnostics, FileError, FileKind};

/// What the documents say they are.
pub const FORMAT: &str = "pupitre-desk";
/// The schema version this pupitre writes and reads.
pub const VERSION: u32 = 1;

/// Settings and scenes, as exported or imported.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bundle {
    /// Settings (`pupitre:ui/…`, controller banks), sorted by parameter.
    pub settings: Vec<(ParamId, SavedValue)>,
    /// Scenes, by slot.
    pub scenes: Vec<Scene>,
}

impl Bundle {
    /// Put everything in its canonical order.
    pub fn normalize(&mut self) {
        self.settings.sort_by(|a, b| a.0.cmp(&b.0));
        self.scenes.sort_by_key(|s| s.slot);
        for s in &mut self.scenes {
            s.values.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }
}

/// A document's syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// XML.
    Xml,
}

impl Format {
    /// By a file's extension (`.json`, `.xml`).
    pub fn of_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "xml" => Some(Format::Xml),
            _ => None,
        }
    }
}

/// The document's text.
pub fn write(bundle: &Bundle, format: Format) -> String {
    let mut b = bundle.clone();
    b.normalize();
    match format {
        Format::Json => to_json(&b),
        Format::Xml => to_xml(&b),
    }
}

/// Read a document; every problem names `path`, a line and a column.
pub fn read(text: &str, format: Format, path: &Path) -> Result<Bundle, FileError> {
    let found = match format {
        Format::Json => from_json(text),
        Format::Xml => from_xml(text),
    };
    let mut bundle = found.map_err(|d| FileError::invalid(path, FileKind::Export, d))?;
    bundle.normalize();
    Ok(bundle)
}

// ---- JSON -----------------------------------------------------------------------------------

fn shown(param: &ParamId, v: &SavedValue) -> String {
    v.resolve(param.kind())
        .map(|value| param.kind().display(&value))
        .unwrap_or_default()
}

fn json_value(param: &ParamId, v: &SavedValue) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("param".into(), param.to_string().into());
    match v {
        SavedValue::Index(i) => m.insert("index".into(), (*i).into()),
        SavedValue::Position(x) => m.insert("position".into(), (*x).into()),
        SavedValue::Native(x) => m.insert("native".into(), (*x).into()),
        SavedValue::Text(t) => m.insert("text".into(), t.to_string().into()),
    };
    // A name shows itself.
    if !matches!(v, SavedValue::Text(_)) {
        m.insert("shown".into(), shown(param, v).into());
    }
    serde_json::Value::Object(m)
}

fn to_json(b: &Bundle) -> String {
    use serde_json::json;
    let settings: Vec<_> = b.settings.iter().map(|(p, v)| json_value(p, v)).collect();
    let scenes: Vec<_> = b
        .scenes
        .iter()
        .map(|s| {
            json!({
                "slot": s.slot,
                "name": s.name,
                "scope": s.scope.patterns(),
                "saved": s.saved,
                "values": s.values.iter().map(|(p, v)| json_value(p, v)).collect::<Vec<_>>(),
            })
        })
        .collect();
    // serde_json keeps insertion order only with `preserve_order`; build the text in our order.
    let mut out = String::new();
    out.push_str(&format!(
        "{{\n  \"format\": \"{FORMAT}\",\n  \"version\": {VERSION},\n  \"settings\": "
    ));
    out.push_str(&pretty(&serde_json::Value::Array(settings), 1));
    out.push_str(",\n  \"scenes\": ");
    out.push_str(&pretty(&serde_json::Value::Array(scenes), 1));
    out.push_str("\n}\n");
    out
}

/// Pretty JSON with two-space indents, objects' keys in a fixed order (param, then the value,
/// then shown; slot, name, scope, saved, values), starting at `depth`.
fn pretty(v: &serde_json::Value, depth: usize) -> String {
    const ORDER: [&str; 11] = [
        "slot", "name", "scope", "saved", "param", "index", "position", "native", "text", "shown",
        "values",
    ];
    let pad = "  ".repeat(depth + 1);
    let close = "  ".repeat(depth);
    match v {
        serde_json::Value::Array(items) if items.is_empty() => "[]".into(),
        serde_json::Value::Array(items) => {
            // Short scalar arrays (a scope) on one line.
            if items.iter().all(|i| !i.is_object() && !i.is_array()) {
                let inner: Vec<String> = items.iter().map(|i| i.to_string()).collect();
                return format!("[{}]", inner.join(", "));
            }
            let inner: Vec<String> = items
                .iter()
                .map(|i| format!("{pad}{}", pretty(i, depth + 1)))
                .collect();
            format!("[\n{}\n{close}]", inner.join(",\n"))
        }
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()));
            // A value entry fits on one line.
            if map.contains_key("param") {
                let inner: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{}: {}", serde_json::Value::from(k.as_str()), map[*k]))
                    .collect();
                return format!("{{{}}}", inner.join(", "));
            }
            let inner: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{pad}{}: {}",
                        serde_json::Value::from(k.as_str()),
                        pretty(&map[*k], depth + 1)
                    )
                })
                .collect();
            format!("{{\n{}\n{close}}}", inner.join(",\n"))
        }
        scalar => scalar.to_string(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonBundle<'a> {
    #[serde(borrow)]
    format: &'a RawJson,
    #[serde(borrow)]
    version: &'a RawJson,
    #[serde(borrow, default)]
    settings: Vec<&'a RawJson>,
    #[serde(borrow, default)]
    scenes: Vec<&'a RawJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonScene<'a> {
    slot: u32,
    name: String,
    #[serde(default)]
    scope: Vec<String>,
    #[serde(default)]
    saved: String,
    #[serde(borrow, default)]
    values: Vec<&'a RawJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValue {
    param: String,
    index: Option<u32>,
    position: Option<f64>,
    native: Option<f64>,
    text: Option<String>,
    #[allow(dead_code)]
    shown: Option<String>,
}

impl RawValue {
    fn check(self) -> Result<(ParamId, SavedValue), String> {
        let param = ParamId::parse(&self.param).map_err(|e| e.to_string())?;
        let given: Vec<SavedValue> = [
            self.index.map(SavedValue::Index),
            self.position.map(SavedValue::Position),
            self.native.map(SavedValue::Native),
            self.text.map(|t| SavedValue::Text(Arc::from(t))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let [value] = <[SavedValue; 1]>::try_from(given).map_err(|_| {
            format!("{param}: give exactly one of \"index\", \"position\", \"native\" and \"text\"")
        })?;
        check_value(&param, &value)?;
        Ok((param, value))
    }
}

/// The value must fit the parameter's kind; a native number only where the range is the
/// mixer's (it is checked again on that range at recall).
fn check_value(param: &ParamId, value: &SavedValue) -> Result<(), String> {
    let kind = param.kind();
    match value {
        SavedValue::Native(x) if !x.is_finite() => Err(format!("{param}: {x} is not a number")),
        SavedValue::Native(_) if !super::scene::range_told_by_mixer(param) => Err(format!(
            "{param}: give a \"position\" (0 to 1); \"native\" is for CamillaDSP filter parameters"
        )),
        SavedValue::Native(_) => Ok(()),
        v => v
            .resolve(kind)
            .map(|_| ())
            .map_err(|e| format!("{param}: {e}")),
    }
}

fn check_scene(
    slot: u32,
    name: String,
    scope: &[String],
    saved: String,
    values: Vec<(ParamId, SavedValue)>,
) -> Result<Scene, String> {
    if !(1..=SLOTS).contains(&slot) {
        return Err(format!("scene slot {slot} is not within 1…{SLOTS}"));
    }
    check_name(&name)?;
    let scope = Scope::new(scope)?;
    let mut seen = std::collections::HashSet::new();
    for (p, _) in &values {
        if !seen.insert(p.clone()) {
            return Err(format!("scene {slot} lists {p} twice"));
        }
        if !scope.covers(p) {
            return Err(format!("scene {slot}: {p} is outside its scope ({scope})"));
        }
    }
    Ok(Scene {
        slot,
        name,
        scope,
        saved,
        values,
    })
}

/// Reads JSON pieces of one text, reporting problems where they are: each piece is a slice
/// of the text (serde_json's borrowed raw values), so its offset is known exactly.
struct JsonReader<'t> {
    text: &'t str,
    found: Vec<Diagnostic>,
}

impl<'t> JsonReader<'t> {
    fn offset_of(&self, piece: &str) -> usize {
        (piece.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize)
    }

    fn at(&mut self, offset: usize, message: impl Into<String>) {
        let (line, column) = line_column(self.text, offset);
        self.found.push(Diagnostic {
            line,
            column,
            message: message.into(),
        });
    }

    /// Parse `piece` (a slice of the text) as `T`; a problem is reported at its place.
    fn parse<T: Deserialize<'t>>(&mut self, piece: &'t str) -> Option<T> {
        match serde_json::from_str(piece) {
            Ok(v) => Some(v),
            Err(e) => {
                let inner = offset_in(piece, e.line(), e.column());
                self.at(self.offset_of(piece) + inner, strip_position(&e));
                None
            }
        }
    }

    fn value(&mut self, piece: &'t RawJson) -> Option<(ParamId, SavedValue)> {
        let raw: RawValue = self.parse(piece.get())?;
        match raw.check() {
            Ok(pv) => Some(pv),
            Err(m) => {
                self.at(self.offset_of(piece.get()), m);
                None
            }
        }
    }
}

/// The byte offset of a 1-based line and column in `text` (serde_json counts columns in bytes).
fn offset_in(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m)
        .to_owned()
}

fn from_json(text: &str) -> Result<Bundle, Vec<Diagnostic>> {
    let mut r = JsonReader {
        text,
        found: Vec::new(),
    };
    let Some(doc) = r.parse::<JsonBundle>(text) else {
        return Err(r.found);
    };
    match r.parse::<String>(doc.format.get()) {
        Some(f) if f == FORMAT => {}
        Some(f) => r.at(
            r.offset_of(doc.format.get()),
            format!("\"format\" is {f:?}; a pupitre export says {FORMAT:?} (an X32 backup is read by `pupitre restore`)"),
        ),
        None => {}
    }
    match r.parse::<u64>(doc.version.get()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => r.at(
            r.offset_of(doc.version.get()),
            format!("version {v} is not one this pupitre reads; expected {VERSION} (a newer pupitre wrote it?)"),
        ),
        None => {}
    }
    let mut bundle = Bundle::default();
    for piece in doc.settings {
        if let Some((p, v)) = r.value(piece) {
            if is_setting(&p) {
                bundle.settings.push((p, v));
            } else {
                r.at(
                    r.offset_of(piece.get()),
                    format!("{p} is not a setting (settings are pupitre:ui/… and pupitre:surface/NAME/bank)"),
                );
            }
        }
    }
    for piece in doc.scenes {
        let Some(scene) = r.parse::<JsonScene>(piece.get()) else {
            continue;
        };
        let mut values = Vec::new();
        for v in scene.values {
            if let Some((p, value)) = r.value(v) {
                if super::scene::is_scene_param(&p) {
                    values.push((p, value));
                } else {
                    r.at(
                        r.offset_of(v.get()),
                        format!("{p} does not belong in a scene (scenes hold mixer parameters and the stabilizer's)"),
                    );
                }
            }
        }
        match check_scene(scene.slot, scene.name, &scene.scope, scene.saved, values) {
            Ok(s) => bundle.scenes.push(s),
            Err(m) => r.at(r.offset_of(piece.get()), m),
        }
    }
    let mut diags = Diagnostics::new(text);
    check_bundle(&bundle, |message| diags.at(text.len()..text.len(), message));
    let mut found = r.found;
    found.extend(diags.into_sorted());
    if found.is_empty() {
        Ok(bundle)
    } else {
        found.sort_by_key(|d| (d.line, d.column));
        Err(found)
    }
}

/// Problems only the whole document shows: two scenes in a slot, a setting given twice.
fn check_bundle(b: &Bundle, mut problem: impl FnMut(String)) {
    let mut slots = std::collections::HashMap::new();
    for s in &b.scenes {
        if let Some(other) = slots.insert(s.slot, &s.name) {
            problem(format!(
                "slot {} holds two scenes: {other:?} and {:?}",
                s.slot, s.name
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (p, _) in &b.settings {
        if !seen.insert(p) {
            problem(format!("the setting {p} is given twice"));
        }
    }
}

// ---- XML ------------------------------------------------------------------------------------

fn attr(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn xml_value(out: &mut String, indent: &str, param: &ParamId, v: &SavedValue) {
    let (key, value) = match v {
        SavedValue::Index(i) => ("index", i.to_string()),
        SavedValue::Position(x) => ("position", float(*x)),
        SavedValue::Native(x) => ("native", float(*x)),
        SavedValue::Text(t) => ("text", t.to_string()),
    };
    let shown = match v {
        SavedValue::Text(_) => String::new(),
        v => format!(" shown=\"{}\"", attr(&shown(param, v))),
    };
    out.push_str(&format!(
        "{indent}<value param=\"{}\" {key}=\"{}\"{shown}/>\n",
        attr(&param.to_string()),
        attr(&value),
    ));
}

/// The shortest text that reads back as the same f64 (as JSON writes it).
fn float(x: f64) -> String {
    serde_json::Value::from(x).to_string()
}

fn to_xml(b: &Bundle) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<pupitre format=\"{FORMAT}\" version=\"{VERSION}\">\n"
    );
    out.push_str("  <settings>\n");
    for (p, v) in &b.settings {
        xml_value(&mut out, "    ", p, v);
    }
    out.push_str("  </settings>\n  <scenes>\n");
    for s in &b.scenes {
        out.push_str(&format!(
            "    <scene slot=\"{}\" name=\"{}\" saved=\"{}\">\n",
            s.slot,
            attr(&s.name),
            attr(&s.saved)
        ));
        for p in s.scope.patterns() {
            out.push_str(&format!("      <scope pattern=\"{}\"/>\n", attr(p)));
        }
        for (p, v) in &s.values {
            xml_value(&mut out, "      ", p, v);
        }
        out.push_str("    </scene>\n");
    }
    out.push_str("  </scenes>\n</pupitre>\n");
    out
}

/// Where the XML reader is, for messages.
struct XmlPlace<'t> {
    text: &'t str,
    found: Vec<Diagnostic>,
}

impl XmlPlace<'_> {
    fn at(&mut self, offset: u64, message: impl Into<String>) {
        let (line, column) = line_column(self.text, offset as usize);
        self.found.push(Diagnostic {
            line,
            column,
            message: message.into(),
        });
    }
}

/// The element's attributes by name; bad ones are reported.
fn attributes(
    e: &BytesStart,
    place: &mut XmlPlace,
    offset: u64,
    allowed: &[&str],
) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    let element = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    for a in e.attributes() {
        match a {
            Ok(a) => {
                let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                if !allowed.contains(&key.as_str()) {
                    place.at(
                        offset,
                        format!(
                            "<{element}> has no attribute {key:?}; it takes {}",
                            allowed.join(", ")
                        ),
                    );
                    continue;
                }
                match a.unescape_value() {
                    Ok(v) => {
                        out.insert(key, v.into_owned());
                    }
                    Err(err) => place.at(offset, format!("attribute {key:?}: {err}")),
                }
            }
            Err(err) => place.at(offset, format!("<{element}>: {err}")),
        }
    }
    out
}

fn xml_saved(
    attrs: &std::collections::HashMap<String, String>,
) -> Result<(ParamId, SavedValue), String> {
    let param = attrs.get("param").ok_or("<value> needs param=\"…\"")?;
    let number = |k: &str, s: &str| -> Result<f64, String> {
        s.parse::<f64>()
            .map_err(|_| format!("{k}=\"{s}\" is not a number"))
    };
    let mut given = Vec::new();
    if let Some(s) = attrs.get("index") {
        given.push(SavedValue::Index(s.parse().map_err(|_| {
            format!("index=\"{s}\" is not a whole number from 0")
        })?));
    }
    if let Some(s) = attrs.get("position") {
        given.push(SavedValue::Position(number("position", s)?));
    }
    if let Some(s) = attrs.get("native") {
        given.push(SavedValue::Native(number("native", s)?));
    }
    if let Some(s) = attrs.get("text") {
        given.push(SavedValue::Text(Arc::from(s.as_str())));
    }
    let param = ParamId::parse(param).map_err(|e| e.to_string())?;
    let [value] = <[SavedValue; 1]>::try_from(given).map_err(|_| {
        format!("{param}: give exactly one of index=, position=, native= and text=")
    })?;
    check_value(&param, &value)?;
    Ok((param, value))
}

fn from_xml(text: &str) -> Result<Bundle, Vec<Diagnostic>> {
    #[derive(PartialEq)]
    enum In {
        Top,
        Root,
        Settings,
        Scenes,
        Scene,
        Done,
    }
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut place = XmlPlace {
        text,
        found: Vec::new(),
    };
    let mut bundle = Bundle::default();
    let mut state = In::Top;
    let mut scene: Option<OpenScene> = None;
    loop {
        let offset = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                place.at(reader.error_position(), format!("not well-formed XML: {e}"));
                break;
            }
        };
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            // Point at the element's `<`: the reader is past its `>` (or `/>`).
            let after = reader.buffer_position();
            let offset = after.saturating_sub(e.len() as u64 + if empty { 3 } else { 2 });
            let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
            match (&state, name.as_str()) {
                (In::Top, "pupitre") => {
                    let a = attributes(&e, &mut place, offset, &["format", "version"]);
                    if a.get("format").map(String::as_str) != Some(FORMAT) {
                        place.at(offset, format!("<pupitre> needs format=\"{FORMAT}\""));
                    }
                    match a.get("version").map(|v| v.parse::<u32>()) {
                        Some(Ok(VERSION)) => {}
                        Some(Ok(v)) => place.at(
                            offset,
                            format!("version {v} is not one this pupitre reads; expected {VERSION} (a newer pupitre wrote it?)"),
                        ),
                        _ => place.at(offset, format!("<pupitre> needs version=\"{VERSION}\"")),
                    }
                    state = if empty { In::Done } else { In::Root };
                }
                (In::Root, "settings") if !empty => state = In::Settings,
                (In::Root, "scenes") if !empty => state = In::Scenes,
                (In::Root, "settings" | "scenes") => {}
                (In::Settings, "value") => {
                    let a = attributes(
                        &e,
                        &mut place,
                        offset,
                        &["param", "index", "position", "native", "text", "shown"],
                    );
                    match xml_saved(&a) {
                        Ok((p, _)) if !is_setting(&p) => place.at(
                            offset,
                            format!("{p} is not a setting (settings are pupitre:ui/… and pupitre:surface/NAME/bank)"),
                        ),
                        Ok(pv) => bundle.settings.push(pv),
                        Err(m) => place.at(offset, m),
                    }
                }
                (In::Scenes, "scene") => {
                    let a = attributes(&e, &mut place, offset, &["slot", "name", "saved"]);
                    let slot = match a.get("slot").map(|s| s.parse::<u32>()) {
                        Some(Ok(n)) => Some(n),
                        _ => {
                            place.at(offset, "<scene> needs slot=\"N\", a whole number 1…99");
                            None
                        }
                    };
                    let name = a.get("name").cloned().unwrap_or_default();
                    let saved = a.get("saved").cloned().unwrap_or_default();
                    let open = (slot, name, saved, Vec::new(), Vec::new(), offset);
                    if empty {
                        finish_scene(open, &mut bundle, &mut place);
                    } else {
                        scene = Some(open);
                        state = In::Scene;
                    }
                }
                (In::Scene, "scope") => {
                    let a = attributes(&e, &mut place, offset, &["pattern"]);
                    match (a.get("pattern"), scene.as_mut()) {
                        (Some(p), Some(s)) => s.3.push(p.clone()),
                        _ => place.at(offset, "<scope> needs pattern=\"…\""),
                    }
                }
                (In::Scene, "value") => {
                    let a = attributes(
                        &e,
                        &mut place,
                        offset,
                        &["param", "index", "position", "native", "text", "shown"],
                    );
                    match (xml_saved(&a), scene.as_mut()) {
                        (Ok(pv), Some(s)) => s.4.push(pv),
                        (Err(m), _) => place.at(offset, m),
                        (Ok(_), None) => {}
                    }
                }
                (_, other) => {
                    let expected = match state {
                        In::Top => "<pupitre>",
                        In::Root => "<settings> or <scenes>",
                        In::Settings => "<value>",
                        In::Scenes => "<scene>",
                        In::Scene => "<scope> or <value>",
                        In::Done => "nothing after </pupitre>",
                    };
                    place.at(offset, format!("unexpected <{other}>; expected {expected}"));
                    if !empty {
                        // Skip the element and what it holds.
                        let end = e.to_end().into_owned();
                        if let Err(err) = reader.read_to_end(end.name()) {
                            place.at(
                                reader.error_position(),
                                format!("not well-formed XML: {err}"),
                            );
                            break;
                        }
                    }
                }
            }
            continue;
        }
        match event {
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                state = match (state, name.as_str()) {
                    (In::Scene, "scene") => {
                        if let Some(open) = scene.take() {
                            finish_scene(open, &mut bundle, &mut place);
                        }
                        In::Scenes
                    }
                    (In::Settings, "settings") | (In::Scenes, "scenes") => In::Root,
                    (In::Root, "pupitre") => In::Done,
                    (s, _) => s,
                };
            }
            Event::Text(t) => {
                let s = String::from_utf8_lossy(&t).trim().to_owned();
                if !s.is_empty() {
                    place.at(offset, format!("unexpected text {s:?}"));
                }
            }
            Event::Eof => {
                if state != In::Done {
                    place.at(offset, "the document ends before </pupitre>");
                }
                break;
            }
            _ => {}
        }
    }
    check_bundle(&bundle, |m| place.at(text.len() as u64, m));
    if place.found.is_empty() {
        Ok(bundle)
    } else {
        place.found.sort_by_key(|d| (d.line, d.column));
        Err(place.found)
    }
}

/// A `<scene>` being read: slot, name, saved, scope patterns, values, where it started.
type OpenScene = (
    Option<u32>,
    String,
    String,
    Vec<String>,
    Vec<(ParamId, SavedValue)>,
    u64,
);

fn finish_scene(open: OpenScene, bundle: &mut Bundle, place: &mut XmlPlace) {
    let (slot, name, saved, scope, values, offset) = open;
    let Some(slot) = slot else { return };
    match check_scene(slot, name, &scope, saved, values) {
        Ok(s) => bundle.scenes.push(s),
        Err(m) => place.at(offset, m),
    }
}

#[cfg(test)]
mod tests;

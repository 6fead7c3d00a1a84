//! X32 backup and restore over loopback UDP: the fake X32 as the desk, the paced `/node` link.

use std::collections::BTreeMap;
use std::time::Duration;

use pupitre::desk::{law, ParamKind};
use pupitre::x32::backup::{nodes_for, Backup, BackupError, Console, Pacing, Section};
use pupitre::x32::fake::{FakeScene, FakeX32};
use pupitre::x32::node;
use rand::{Rng, SeedableRng};
use rosc::OscType;

use crate::support::*;

/// Every parameter address in a backup's nodes (the DCA icon, which the grammar does not
/// hold, aside).
fn addresses(sections: &[Section]) -> Vec<String> {
    nodes_for(sections)
        .iter()
        .flat_map(|path| node::schema(path).expect("a backup node").children)
        .filter(|c| c.id.is_some())
        .map(|c| c.address)
        .collect()
}

/// A value for `kind` on the console's grid, from `rng`.
fn random_wire(kind: ParamKind, rng: &mut impl Rng, n: usize) -> OscType {
    let on_grid = |steps: u32, rng: &mut dyn rand::RngCore| {
        OscType::Float((f64::from(rng.random_range(0..=steps)) / f64::from(steps)) as f32)
    };
    match kind {
        ParamKind::Switch => OscType::Int(rng.random_range(0..=1)),
        ParamKind::Choice { count } => OscType::Int(rng.random_range(0..count) as i32),
        ParamKind::Name { .. } => OscType::String(format!("N {n}")),
        ParamKind::Fader => on_grid(law::FADER_STEPS, rng),
        other => on_grid(other.steps().unwrap_or(1), rng),
    }
}

/// Set every parameter in these sections on the fake to a random value; how many were set.
fn scramble(fake: &FakeX32, sections: &[Section], seed: u64) -> usize {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let mut n = 0;
    for (i, address) in addresses(sections).iter().enumerate() {
        let kind = pupitre::desk::ParamId::x32(address).unwrap().kind();
        assert!(
            fake.set_local(address, random_wire(kind, &mut rng, i)),
            "{address}"
        );
        n += 1;
    }
    n
}

async fn take_backup(fake: &FakeX32, sections: &[Section]) -> Backup {
    let console = Console::open(&fake.local_addr().to_string(), Pacing::default())
        .await
        .unwrap();
    let info = console.info().await.unwrap();
    let mut calls = 0;
    let read = console
        .read_nodes(&nodes_for(sections), &mut |_, _| calls += 1)
        .await
        .unwrap();
    assert!(read.unreadable.is_empty(), "{:?}", read.unreadable);
    assert!(calls > 0, "progress is reported");
    Backup::new(info, sections.to_vec(), read.nodes)
}

/// Restore `backup` onto the fake with "yes to all"; the nodes it wrote.
async fn restore_all(fake: &FakeX32, backup: &Backup) -> usize {
    let console = Console::open(&fake.local_addr().to_string(), Pacing::default())
        .await
        .unwrap();
    let diffs = console
        .plan_restore(backup, None, &mut |_, _| {})
        .await
        .unwrap();
    let applied = console.apply_restore(&diffs, &mut |_, _| {}).await.unwrap();
    assert!(applied.not_taken.is_empty(), "{:?}", applied.not_taken);
    assert_eq!(applied.written, diffs.len());
    applied.written
}

fn assert_same_stores(a: &FakeX32, b: &FakeX32, sections: &[Section]) {
    let mut differ = Vec::new();
    let all = addresses(sections);
    for address in &all {
        if a.get(address) != b.get(address) {
            differ.push(format!(
                "{address}: {:?} vs {:?}",
                a.get(address),
                b.get(address)
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} parameters differ: {:#?}",
        differ.len(),
        all.len(),
        &differ[..differ.len().min(20)]
    );
}

async fn round_trip(loss: f64) {
    let a = fake(FakeScene::Blank, steady(), loss).await;
    let set = scramble(&a, &Section::ALL, 11);
    assert!(set > 4000, "{set} parameters set");
    let backup = within(120.0, "backup", take_backup(&a, &Section::ALL)).await;
    assert_eq!(backup.nodes.0.len(), nodes_for(&Section::ALL).len());
    // Through the file and back.
    let dir = std::env::temp_dir().join(format!("pupitre-backup-{}-{loss}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("show.json");
    backup.save(&file).unwrap();
    let loaded = Backup::load(&file).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(loaded, backup);

    let b = fake(FakeScene::Blank, steady(), loss).await;
    let written = within(120.0, "restore", restore_all(&b, &loaded)).await;
    assert!(written > 1000, "{written} nodes written");
    assert_same_stores(&a, &b, &Section::ALL);
    if loss > 0.0 {
        // The retries had something to do.
        assert!(a.stats().dropped_in + a.stats().dropped_out > 0);
        assert!(b.stats().dropped_in + b.stats().dropped_out > 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_restored_onto_a_fresh_desk_gives_an_identical_store() {
    round_trip(0.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_ride_out_packet_loss() {
    round_trip(0.05).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_diff_lists_exactly_the_changed_parameters() {
    let a = fake(FakeScene::Demo, steady(), 0.0).await;
    let backup = take_backup(&a, &Section::ALL).await;
    let b = fake(FakeScene::Demo, steady(), 0.0).await;
    let console = Console::open(&b.local_addr().to_string(), Pacing::default())
        .await
        .unwrap();
    let diffs = console
        .plan_restore(&backup, None, &mut |_, _| {})
        .await
        .unwrap();
    assert!(
        diffs.is_empty(),
        "same scene, nothing to restore: {diffs:?}"
    );

    assert!(b.set_local("/ch/05/mix/fader", OscType::Float(0.25)));
    assert!(b.set_local("/config/routing/CARD/1-8", OscType::Int(4)));
    assert!(b.set_local("/bus/02/eq/3/g", OscType::Float(0.75)));
    let diffs = console
        .plan_restore(&backup, None, &mut |_, _| {})
        .await
        .unwrap();
    let mut changed: Vec<(String, String, String)> = diffs
        .iter()
        .flat_map(|d| d.changes.iter())
        .map(|c| (c.address.clone(), c.live.clone(), c.backup.clone()))
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        vec![
            ("/bus/02/eq/3/g".into(), "+7.50".into(), "+0.00".into()),
            // 0.25 snaps to 255/1023 (§1.7).
            ("/ch/05/mix/fader".into(), "-30.12".into(), "-4.00".into()),
            (
                "/config/routing/CARD/1-8".into(),
                "A1-8".into(),
                "OUT9-16".into()
            ),
        ]
    );
    // Only the parameters asked (`--only` restores a part).
    let only: Vec<String> = nodes_for(&[Section::Routing]);
    let part = console
        .plan_restore(&backup, Some(&only), &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(part.len(), 1);
    assert_eq!(part[0].path, "/config/routing/CARD");
    let applied = console.apply_restore(&diffs, &mut |_, _| {}).await.unwrap();
    assert_eq!(applied.written, 3);
    assert!(applied.not_taken.is_empty());
    assert_same_stores(&a, &b, &Section::ALL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_that_never_answer_are_named() {
    let a = fake(FakeScene::Demo, steady(), 0.0).await;
    let quick = Pacing {
        window: 4,
        timeout: Duration::from_millis(20),
        retries: 2,
    };
    let console = Console::open(&a.local_addr().to_string(), quick)
        .await
        .unwrap();
    // Every datagram lost: nothing answers, and the error says which nodes and how often.
    a.set_loss(1.0);
    let nodes: Vec<String> = vec!["/ch/01/mix".into(), "/config/routing/CARD".into()];
    let e = console
        .read_nodes(&nodes, &mut |_, _| {})
        .await
        .unwrap_err();
    let BackupError::Unanswered { missing, tries, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(missing, &nodes);
    assert_eq!(*tries, 3);
    assert!(
        e.to_string().contains("/ch/01/mix, /config/routing/CARD"),
        "{e}"
    );
    let e = console.info().await.unwrap_err();
    assert!(
        e.to_string().starts_with("no X32 answers at 127.0.0.1:"),
        "{e}"
    );
    a.set_loss(0.0);
    let read = console.read_nodes(&nodes, &mut |_, _| {}).await.unwrap();
    let expect: BTreeMap<String, String> = BTreeMap::from([
        // 0 dB is 767/1023 (§1.7): −0.01 dB to two decimals.
        ("/ch/01/mix".to_owned(), "ON -0.01 ON +0 OFF -oo".to_owned()),
        (
            "/config/routing/CARD".to_owned(),
            "OUT9-16 OUT1-8 AN17-24 AN25-32".to_owned(),
        ),
    ]);
    assert_eq!(read.nodes, expect);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_is_read_from_the_desk_and_ranks_the_demo_livestream() {
    let a = fake(FakeScene::Demo, steady(), 0.0).await;
    let backup = pupitre::x32::routing::read_routing(
        &a.local_addr().to_string(),
        Pacing::default(),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    let analysis = pupitre::x32::routing::analyze(&backup);
    let top = &analysis.candidates[0];
    assert_eq!(top.strip, pupitre::desk::Strip::Matrix(1));
    assert_eq!(top.name, "Livestream");
    assert_eq!(top.reasons[0], "matrix 1 ← bus 1");
    assert!(
        top.reasons[1].starts_with("patched to card (USB) outputs 1-2"),
        "{:?}",
        top.reasons
    );
}

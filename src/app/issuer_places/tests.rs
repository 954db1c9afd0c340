use super::*;

fn os(s: &str) -> Option<OsString> {
    Some(OsString::from(s))
}

/// A user's shell: a home, no XDG state folder, the binary in a build tree far away.
fn at_home() -> Surroundings {
    Surroundings {
        home: os("/home/ana"),
        exe: Some(PathBuf::from("/opt/build/target/release/lanedesk")),
        source: PathBuf::from("/nowhere/lanedesk-source"),
        ..Surroundings::default()
    }
}

#[test]
fn the_database_goes_to_the_users_state_folder() {
    let (path, why) = default_db(&at_home());
    assert_eq!(
        path,
        Path::new("/home/ana/.local/state/lanedesk-issuer/issuer.sqlite")
    );
    assert!(why.contains("~/.local/state"), "{why}");
    let xdg = Surroundings {
        xdg_state_home: os("/home/ana/.state"),
        ..at_home()
    };
    let (path, _) = default_db(&xdg);
    assert_eq!(
        path,
        Path::new("/home/ana/.state/lanedesk-issuer/issuer.sqlite")
    );
}

#[test]
fn lanedesk_state_dir_wins_then_systemd_then_the_service_users_home() {
    let all = Surroundings {
        state_dir: os("/srv/issuer"),
        systemd_state: os("/var/lib/lanedesk-issuer:/var/lib/other"),
        xdg_state_home: os("/home/ana/.state"),
        ..at_home()
    };
    assert_eq!(default_db(&all).0, Path::new("/srv/issuer/issuer.sqlite"));
    let systemd = Surroundings {
        state_dir: None,
        ..all
    };
    let (path, why) = default_db(&systemd);
    assert_eq!(path, Path::new("/var/lib/lanedesk-issuer/issuer.sqlite"));
    assert!(why.contains("StateDirectory"), "{why}");
    let service_user = Surroundings {
        home: os(INSTALLED_STATE_DIR),
        ..Surroundings::default()
    };
    assert_eq!(
        default_db(&service_user).0,
        Path::new("/var/lib/lanedesk-issuer/issuer.sqlite")
    );
    // Relative values are not folders to trust (XDG says to ignore them).
    let relative = Surroundings {
        state_dir: os("state"),
        xdg_state_home: os(".state"),
        ..at_home()
    };
    assert!(
        default_db(&relative)
            .0
            .starts_with("/home/ana/.local/state")
    );
    assert_eq!(
        default_db(&Surroundings::default()).0,
        Path::new("/var/lib/lanedesk-issuer/issuer.sqlite")
    );
}

#[test]
fn fixtures_are_found_where_the_installed_data_is() {
    let root = tempfile::tempdir().unwrap();
    let share = root.path().join("usr/share/lanedesk/fixtures");
    std::fs::create_dir_all(&share).unwrap();
    std::fs::write(share.join(TRAVELLERS_FILE), "").unwrap();
    let installed = Surroundings {
        exe: Some(root.path().join("usr/bin/lanedesk")),
        ..at_home()
    };
    let places = choose(None, None, &installed).unwrap();
    assert_eq!(places.fixtures, share);
    assert!(places.said[1].contains("found"), "{:?}", places.said);

    let from_source = Surroundings {
        source: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        ..at_home()
    };
    let places = choose(None, None, &from_source).unwrap();
    assert_eq!(places.fixtures, from_source.source.join("fixtures"));
}

#[test]
fn missing_fixtures_name_every_place_looked_in() {
    let err = choose(None, None, &at_home()).err().unwrap();
    for place in [
        "/opt/build/target/share/lanedesk/fixtures",
        "/nowhere/lanedesk-source/fixtures",
        "/usr/share/lanedesk/fixtures",
        "--fixtures",
        "LANEDESK_DATA_DIR",
    ] {
        assert!(err.contains(place), "{place} not in: {err}");
    }
    let data_dir = Surroundings {
        data_dir: os("/srv/data"),
        ..at_home()
    };
    let err = choose(None, None, &data_dir).err().unwrap();
    assert!(err.contains("none of /srv/data/fixtures."), "{err}");
}

#[test]
fn what_is_given_is_kept_and_said() {
    let places = choose(
        Some("postgres://lanedesk:pw@db/lanedesk".into()),
        Some(PathBuf::from("/srv/fixtures")),
        &at_home(),
    )
    .unwrap();
    assert!(matches!(places.db, DbLocation::Postgres(_)));
    assert_eq!(places.fixtures, Path::new("/srv/fixtures"));
    assert!(
        places.said.iter().all(|l| l.contains("given")),
        "{:?}",
        places.said
    );
    assert!(!places.said[0].contains("pw"), "{:?}", places.said);
}

#[test]
fn the_default_databases_folder_is_made_for_its_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let here = Surroundings {
        home: Some(home.path().into()),
        source: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        ..Surroundings::default()
    };
    let places = choose(None, None, &here).unwrap();
    places.prepare().unwrap();
    let dir = home.path().join(".local/state/lanedesk-issuer");
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

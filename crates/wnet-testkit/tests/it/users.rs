//! System users and running programs as them.

use wnet_testkit::{DEFAULT_USER, StagedPrograms, TEST_USER2, as_user, ensure_system_user};

use crate::show;

#[test]
fn as_user_runs_as_the_test_user() {
    let out = as_user(DEFAULT_USER, "id").arg("-u").output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let uid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_ne!(uid, 0);
    let name = as_user(DEFAULT_USER, "id").arg("-un").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&name.stdout).trim(), DEFAULT_USER);
    // No supplementary groups inherited from root.
    let groups = as_user(DEFAULT_USER, "id").arg("-G").output().unwrap();
    assert!(
        !String::from_utf8_lossy(&groups.stdout)
            .split_whitespace()
            .any(|g| g == "0"),
        "{}",
        show(&groups)
    );
}

/// A program inside a 0700 tree (a checkout in a home directory) is out of the user's reach;
/// its staged copy runs, in a working directory the user can enter.
#[test]
fn staged_programs_run_as_the_user_from_a_0700_tree() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let program = home.path().join("pwd-probe");
    std::fs::copy("/bin/pwd", &program).unwrap();
    let direct = as_user(DEFAULT_USER, program.to_str().unwrap())
        .current_dir("/")
        .output();
    assert_eq!(
        direct.map_err(|e| e.raw_os_error()).err(),
        Some(Some(libc::EACCES)),
        "the tree is out of reach"
    );
    let staged = StagedPrograms::copy(&[&program]);
    let out = staged.as_user(DEFAULT_USER, &program).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        staged.dir().to_str().unwrap()
    );
}

#[test]
fn as_user_keeps_environment_set_on_the_command() {
    let out = as_user(TEST_USER2, "sh")
        .args(["-c", "echo $WNET_PROBE $USER"])
        .env("WNET_PROBE", "kept")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "kept wnettest2"
    );
}

#[test]
fn ensure_system_user_is_idempotent_under_contention() {
    let threads: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(|| ensure_system_user(DEFAULT_USER)))
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    assert!(ensure_system_user("No Such").is_err());
}

//! Tests of the pieces that need no server: URL redaction and the trips aggregate.

use super::redact;
use super::travellers::parse_trips;
use crate::issuer::store::TripsUsed;

#[test]
fn passwords_stay_out_of_messages() {
    assert_eq!(
        redact("postgres://app:s3cret@db.example:5432/lanedesk"),
        "postgres://app:***@db.example:5432/lanedesk"
    );
    assert_eq!(
        redact("postgres://app@127.0.0.1/lanedesk"),
        "postgres://app@127.0.0.1/lanedesk"
    );
}

#[test]
fn trips_used_read_back_from_the_aggregate() {
    assert_eq!(
        parse_trips("2:0:1,2:1:0").unwrap(),
        vec![
            TripsUsed {
                document: 2,
                position: 0,
                trips_used: 1
            },
            TripsUsed {
                document: 2,
                position: 1,
                trips_used: 0
            }
        ]
    );
    assert!(parse_trips("").unwrap().is_empty());
    assert!(parse_trips("x").is_err());
}

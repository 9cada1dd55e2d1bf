//! The contract on `memory://`.

use crate::contract::{contract_tests, Fixture};

async fn fixture() -> Fixture {
    Fixture::new(
        event_log::connect("memory://?partitions=4")
            .await
            .expect("memory log"),
        (),
    )
}

contract_tests!(fixture);

#[tokio::test]
async fn memory_urls_are_checked() {
    assert_eq!(
        event_log::connect("memory://").await.unwrap().partitions(),
        4
    );
    assert!(event_log::connect("memory://?partitions=0").await.is_err());
    assert!(event_log::connect("memory://?colour=blue").await.is_err());
}

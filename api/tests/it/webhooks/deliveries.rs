//! Deliveries queued by the projector: test pings, fan-out, retry and replay.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_test_ping_queues_one_pending_delivery_for_that_endpoint() {
    let app = TestApp::spawn().await;
    // The filter does not matter: a test goes to the endpoint being tested.
    let id = id_of(&create_webhook(&app, json!({"url": URL, "events": ["agent.deleted"]})).await);
    let (status, pinged) = app
        .call(Method::POST, &format!("/v1/webhooks/{id}/test"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pinged}");
    let event_id = pinged["eventId"].as_str().unwrap().to_owned();
    let delivery_id = pinged["deliveryId"].as_str().unwrap().to_owned();
    assert!(event_id.starts_with("evt_"), "{pinged}");
    assert!(delivery_id.starts_with("dlv_"), "{pinged}");
    assert_eq!(
        activity_ids(&app, "webhook.test").await,
        [event_id.as_str()]
    );

    let listed = deliveries(&app, &id, "").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let delivery = &listed[0];
    assert_eq!(delivery["id"], delivery_id.as_str());
    assert_eq!(delivery["webhookId"], id.as_str());
    assert_eq!(delivery["eventId"], event_id.as_str());
    assert_eq!(delivery["eventType"], "webhook.test");
    assert_eq!(delivery["status"], "pending");
    assert_eq!(delivery["attempts"], 0);
    assert_eq!(delivery["lastStatusCode"], Value::Null);
    assert!(delivery["nextAttemptAt"].is_string(), "{delivery}");
    assert!(
        delivery.get("attemptLog").is_none(),
        "only on the single delivery"
    );

    let (status, single) = app
        .call(
            Method::GET,
            &format!("/v1/webhooks/{id}/deliveries/{delivery_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{single}");
    assert_eq!(single["attemptLog"], json!([]));
    let mut without_log = single.clone();
    without_log.as_object_mut().unwrap().remove("attemptLog");
    assert_eq!(&without_log, delivery);

    // Filters.
    assert_eq!(deliveries(&app, &id, "&status=pending").await.len(), 1);
    assert!(deliveries(&app, &id, "&status=failed").await.is_empty());
    assert!(deliveries(&app, &id, "&status=succeeded").await.is_empty());
    let (status, error) = app
        .call(
            Method::GET,
            &format!("/v1/webhooks/{id}/deliveries?status=bogus"),
            None,
        )
        .await;
    assert_field_error(status, &error, "status", "pending", "status=bogus");

    // Unknown and malformed delivery ids, and another endpoint's delivery.
    let other = id_of(&create_webhook(&app, json!({"url": URL, "events": ["*"]})).await);
    for (webhook, delivery) in [
        (&id, "dlv_01jq8abcdefghjkmnpqrstvwxy"),
        (&id, "nope"),
        (&id, &event_id),
        (&other, &delivery_id),
    ] {
        for (method, suffix) in [(Method::GET, ""), (Method::POST, "/retry")] {
            let path = format!("/v1/webhooks/{webhook}/deliveries/{delivery}{suffix}");
            let (status, error) = app.call(method.clone(), &path, None).await;
            assert_error(
                status,
                &error,
                StatusCode::NOT_FOUND,
                "DELIVERY_NOT_FOUND",
                &format!("{method} {path}"),
            );
        }
    }
    // A second ping is a second event and delivery, listed first.
    let (_, again) = app
        .call(Method::POST, &format!("/v1/webhooks/{id}/test"), None)
        .await;
    assert_ne!(again["eventId"], pinged["eventId"]);
    let listed = deliveries(&app, &id, "").await;
    let ids: Vec<&Value> = listed.iter().map(|d| &d["id"]).collect();
    assert_eq!(
        ids,
        [&again["deliveryId"], &pinged["deliveryId"]],
        "newest first"
    );
    assert!(deliveries(&app, &other, "").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn events_fan_out_to_the_enabled_endpoints_subscribed_to_them() {
    let app = TestApp::spawn().await;
    let agents_only =
        id_of(&create_webhook(&app, json!({"url": URL, "events": ["agent.created"]})).await);
    let disabled = id_of(
        &create_webhook(
            &app,
            json!({"url": "https://example.com/paused", "events": ["agent.created"], "enabled": false}),
        )
        .await,
    );
    let everything = id_of(&create_webhook(&app, json!({"url": URL, "events": ["*"]})).await);
    let tested = id_of(
        &create_webhook(
            &app,
            json!({"url": "https://example.com/tested", "events": ["session.archived"]}),
        )
        .await,
    );
    let (status, _) = app
        .call(Method::POST, &format!("/v1/webhooks/{tested}/test"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let nova = app.create_agent(json!({"name": "Nova"})).await;
    app.create_agent(json!({"name": "Orion"})).await;
    app.open_session(&nova).await;

    assert_eq!(
        delivered_types(&app, &agents_only).await,
        counts(&[("agent.created", 2)])
    );
    assert_eq!(delivered_types(&app, &disabled).await, counts(&[]));
    assert_eq!(
        delivered_types(&app, &everything).await,
        counts(&[("agent.created", 2), ("session.created", 1)]),
        "`*` covers every event type but another endpoint's test (and no webhook.* changes)"
    );
    assert_eq!(
        delivered_types(&app, &tested).await,
        counts(&[("webhook.test", 1)])
    );

    // Both endpoints got the same two events, each its own delivery, all pending.
    let created = activity_ids(&app, "agent.created").await;
    let event_ids = |list: Vec<Value>| -> BTreeSet<String> {
        list.iter()
            .filter(|d| d["eventType"] == "agent.created")
            .map(|d| d["eventId"].as_str().unwrap().to_owned())
            .collect()
    };
    let expected: BTreeSet<String> = created.into_iter().collect();
    assert_eq!(
        event_ids(deliveries(&app, &agents_only, "").await),
        expected
    );
    assert_eq!(event_ids(deliveries(&app, &everything, "").await), expected);
    let mut delivery_ids = BTreeSet::new();
    for webhook in [&agents_only, &everything] {
        for delivery in deliveries(&app, webhook, "").await {
            assert_eq!(delivery["status"], "pending", "{delivery}");
            assert_eq!(delivery["webhookId"], webhook.as_str());
            assert!(delivery_ids.insert(delivery["id"].as_str().unwrap().to_owned()));
        }
    }

    // Re-enabled, the endpoint gets the events from then on (not the ones it missed).
    app.call(
        Method::PATCH,
        &format!("/v1/webhooks/{disabled}"),
        Some(json!({"enabled": true})),
    )
    .await;
    app.create_agent(json!({"name": "Vega"})).await;
    assert_eq!(
        delivered_types(&app, &disabled).await,
        counts(&[("agent.created", 1)])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_requeues_a_delivery_and_replay_schedules_the_matching_past_events() {
    let app = TestApp::spawn().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let nova = app.create_agent(json!({"name": "Nova"})).await;
    app.create_agent(json!({"name": "Orion"})).await;
    app.create_agent(json!({"name": "Vega"})).await;
    app.open_session(&nova).await;

    let agents =
        id_of(&create_webhook(&app, json!({"url": URL, "events": ["agent.created"]})).await);
    assert!(
        deliveries(&app, &agents, "").await.is_empty(),
        "created after the agents"
    );

    // Retry: a new attempt is due now.
    let (_, pinged) = app
        .call(Method::POST, &format!("/v1/webhooks/{agents}/test"), None)
        .await;
    let delivery_id = pinged["deliveryId"].as_str().unwrap();
    let (status, retried) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/deliveries/{delivery_id}/retry"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{retried}");
    assert_eq!(retried["id"], delivery_id);
    assert_eq!(retried["status"], "pending");
    assert_eq!(retried["eventType"], "webhook.test");
    let due = retried["nextAttemptAt"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    assert!(
        due <= chrono::Utc::now() + chrono::Duration::seconds(1),
        "{retried}"
    );

    // Replay: every matching event since the time, with its original event id.
    let (status, replayed) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/replay"),
            Some(json!({"since": before})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{replayed}");
    assert_eq!(replayed, json!({"scheduled": 3}));
    let created: BTreeSet<String> = activity_ids(&app, "agent.created")
        .await
        .into_iter()
        .collect();
    let replayed_ids: BTreeSet<String> = deliveries(&app, &agents, "&status=pending")
        .await
        .iter()
        .filter(|d| d["eventType"] == "agent.created")
        .map(|d| d["eventId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(replayed_ids, created);
    assert_eq!(
        delivered_types(&app, &agents).await,
        counts(&[("agent.created", 3), ("webhook.test", 1)])
    );

    // A `*` endpoint replays the events it covers: not webhook changes, nor tests.
    let everything = id_of(
        &create_webhook(
            &app,
            json!({"url": "https://example.com/all", "events": ["*"]}),
        )
        .await,
    );
    let (_, replayed) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{everything}/replay"),
            Some(json!({"since": before})),
        )
        .await;
    assert_eq!(
        replayed,
        json!({"scheduled": 4}),
        "3 agent.created + 1 session.created"
    );

    // Nothing since a moment ago; a future time or a bad one is refused.
    let (_, nothing) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/replay"),
            Some(json!({"since": chrono::Utc::now()})),
        )
        .await;
    assert_eq!(nothing, json!({"scheduled": 0}));
    let future = chrono::Utc::now() + chrono::Duration::hours(1);
    for (body, hint) in [
        (json!({"since": future}), "future"),
        (json!({"since": "yesterday"}), ""),
        (json!({}), "is required"),
        (json!({"since": before, "until": future}), "until"),
    ] {
        let (status, error) = app
            .call(
                Method::POST,
                &format!("/v1/webhooks/{agents}/replay"),
                Some(body.clone()),
            )
            .await;
        assert_error(
            status,
            &error,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &body.to_string(),
        );
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(hint), "{body}: {message}");
    }
    let (status, error) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/replay"),
            Some(json!({"since": future})),
        )
        .await;
    assert_field_error(status, &error, "since", "future", "since in the future");

    // A disabled endpoint must be enabled before a replay.
    app.call(
        Method::PATCH,
        &format!("/v1/webhooks/{agents}"),
        Some(json!({"enabled": false})),
    )
    .await;
    let (status, error) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{agents}/replay"),
            Some(json!({"since": before})),
        )
        .await;
    assert_error(
        status,
        &error,
        StatusCode::CONFLICT,
        "CONFLICT",
        "replay while disabled",
    );
    assert_eq!(
        deliveries(&app, &agents, "").await.len(),
        4,
        "nothing more queued"
    );
}

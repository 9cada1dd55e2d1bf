//! The demo fleet: who the agents are, how busy they are, what they cost and how they are
//! doing right now. Data only; `history` turns it into a month of commands.

/// How an agent's token budget is chosen once its month of work is planned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    /// No budget.
    None,
    /// The busiest planned day (or month) times this factor: rarely reached.
    Headroom(f64),
    /// A daily budget that today's planned work fills to this fraction (> 1: used up today).
    Today(f64),
    /// A monthly budget that this month's planned work fills to about this fraction, never
    /// below what the previous month used (so the past is not cut short by it).
    ThisMonth(f64),
}

/// What a flapping agent's heartbeats say while it is degraded.
pub const FLAP_DETAIL: &str = "CRM API p95 latency 6.1 s";

/// What the agent's runtime is doing now (its heartbeats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Online,
    /// Online, degraded now and then for a minute or two.
    Flapping,
    /// Heartbeats `degraded` with this detail.
    Degraded(&'static str),
    /// Stopped sending heartbeats a few hours ago.
    Offline,
}

/// When and how much the agent works.
#[derive(Debug, Clone, Copy)]
pub struct Activity {
    /// Office hours are those of this zone.
    pub timezone: &'static str,
    /// Sessions on an ordinary weekday.
    pub sessions_per_weekday: f64,
    /// Saturday and Sunday, relative to a weekday.
    pub weekend: f64,
    /// Exchanges (a question and its reply) per session, inclusive.
    pub exchanges: (u32, u32),
    /// Works nights too (incidents do not wait for office hours).
    pub around_the_clock: bool,
    /// Three times busier in the last and first three days of a month.
    pub month_end: bool,
}

/// Tokens of one reply, inclusive ranges.
#[derive(Debug, Clone, Copy)]
pub struct Tokens {
    pub input: (u64, u64),
    pub output: (u64, u64),
}

/// The agent's SOUL file, in parts (see `souls`).
#[derive(Debug, Clone, Copy)]
pub struct Soul {
    pub mission: &'static str,
    pub principles: &'static [&'static str],
    pub escalation: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct AgentSpec {
    pub name: &'static str,
    pub role: &'static str,
    pub description: &'static str,
    pub model: &'static str,
    pub fallbacks: &'static [&'static str],
    pub tools: &'static [&'static str],
    pub daily_budget: Budget,
    pub monthly_budget: Budget,
    pub activity: Activity,
    pub tokens: Tokens,
    /// The share of tool calls that fail.
    pub tool_failure: f64,
    pub liveness: Liveness,
    /// Session names; `{n}` becomes a number, `{co}` a company.
    pub sessions: &'static [&'static str],
    /// Questions and their replies; `{n}` and `{co}` as above.
    pub exchanges: &'static [(&'static str, &'static str)],
    pub soul: Soul,
}

impl AgentSpec {
    /// Whether the live demo may add conversations to it: it is up and has no budget (however
    /// long dev runs, no question is refused and no budget shown moves).
    pub fn talks_live(&self) -> bool {
        self.liveness == Liveness::Online
            && self.daily_budget == Budget::None
            && self.monthly_budget == Budget::None
    }
}

pub const COMPANIES: &[&str] = &[
    "Northwind Logistics",
    "Helios Energy",
    "Brightpath Health",
    "Kestrel Robotics",
    "Lumen Retail",
    "Oakridge Insurance",
    "Vantage Foods",
    "Meridian Bank",
    "Copperleaf Studios",
    "Tideline Shipping",
];

/// Office hours in `timezone`.
const fn office(
    timezone: &'static str,
    sessions_per_weekday: f64,
    weekend: f64,
    exchanges: (u32, u32),
) -> Activity {
    Activity {
        timezone,
        sessions_per_weekday,
        weekend,
        exchanges,
        around_the_clock: false,
        month_end: false,
    }
}

pub const FLEET: &[AgentSpec] = &[
    AgentSpec {
        name: "Iris",
        role: "Support triage",
        description: "Reads every inbound support ticket, tags product area and urgency, answers the easy ones from the knowledge base and routes the rest to the right queue.",
        model: "claude-haiku-3.5",
        fallbacks: &["gpt-4o-mini"],
        tools: &["zendesk_search", "zendesk_update", "kb_search", "sentiment_score"],
        daily_budget: Budget::None,
        monthly_budget: Budget::None,
        activity: office("Europe/Berlin", 5.0, 0.45, (1, 3)),
        tokens: Tokens { input: (12_000, 30_000), output: (300, 900) },
        tool_failure: 0.03,
        liveness: Liveness::Online,
        sessions: &["Ticket #{n}: login loop after SSO change", "Ticket #{n}: invoice shows wrong VAT", "Ticket #{n}: export stuck at 99%", "Ticket #{n}: refund request from {co}", "Ticket #{n}: API rate limit questions"],
        exchanges: &[
            ("New ticket #{n} from {co}: \"Since this morning our users are bounced back to the login page after SSO.\" Triage it.", "Product area: Identity/SSO. Urgency: high (whole customer affected). This matches the known issue with rotated IdP certificates; I replied with the re-upload steps from KB-212 and tagged the ticket `sso`, `p2`. Routed to Tier 2 Identity in case the steps do not help."),
            ("Ticket #{n}: customer asks why VAT is 19% on an invoice for their Austrian entity.", "Billing, normal urgency. Their billing country is still Germany; VAT follows it. I drafted a reply explaining how to change the billing entity and linked KB-88. Left it as a draft for Finance Ops because it touches an issued invoice."),
            ("Summarise today's untriaged queue.", "17 open, 12 triaged by me, 5 waiting: 2 need a human decision on refunds over 500 EUR, 2 are duplicates of #{n} (merged), 1 is in Japanese (sent to the Localization queue). Median first response today: 4 min."),
            ("Is ticket #{n} a bug or a how-to?", "How-to. The export is not stuck: exports over 1 GB finish in the background and are emailed. I answered with KB-140 and closed the ticket as solved, pending the customer's confirmation."),
        ],
        soul: Soul {
            mission: "I am the first reader of every support ticket. My job is to make sure no customer waits in an unsorted queue: I work out what the ticket is about, how urgent it is, and who should own it. When the knowledge base already has the answer, I reply myself.",
            principles: &["Acknowledge within five minutes, even when the answer will take longer.", "Never promise a refund, a credit or a date; route those to a person.", "Quote the knowledge-base article I relied on, so a reviewer can check me.", "Write in the customer's language and keep replies under 150 words."],
            escalation: "Anything that mentions data loss, a security issue or a legal threat goes to the on-call lead at once, tagged `p1`, with my summary in the first line.",
        },
    },
    AgentSpec {
        name: "Scout",
        role: "Sales research",
        description: "Builds account briefs before discovery calls: company news, org chart, tech stack and open opportunities from the CRM.",
        model: "claude-sonnet-4-20250514",
        fallbacks: &["gpt-4o"],
        tools: &["web_search", "crm_lookup", "company_news", "linkedin_enrich"],
        daily_budget: Budget::Today(0.87),
        monthly_budget: Budget::None,
        activity: office("America/New_York", 2.5, 0.1, (2, 4)),
        tokens: Tokens { input: (20_000, 45_000), output: (900, 2_200) },
        tool_failure: 0.1,
        liveness: Liveness::Flapping,
        sessions: &["Account brief: {co}", "Discovery prep: {co}", "Competitive check: {co}", "Renewal risk: {co}"],
        exchanges: &[
            ("Prepare a brief on {co} for tomorrow's discovery call.", "{co}: 2,400 employees, growing 18% a year, new CFO since March. They run Salesforce and Snowflake; two open roles mention \"AI operations\". Our CRM has one closed-lost deal (2024, price). Suggested angle: cost visibility per team. Sources are in the brief's footnotes."),
            ("Who else is {co} talking to?", "Public signals point to two vendors: a case study with a competitor's logo (published last month) and a job ad asking for experience with another platform. No signed contract is visible. Confidence: medium."),
            ("Any news on {co} this week?", "Three items: Q3 results beat guidance by 4%, a reorganisation of the data team, and a partnership announcement in logistics. The reorganisation matters most: our champion now reports to the new CDO."),
            ("Pull the open opportunities for {co} from the CRM.", "Two open: Expansion (stage: proposal, 84k ARR, close date end of quarter) and Pilot EU (stage: qualification). The CRM call timed out once; I retried and the data is complete."),
        ],
        soul: Soul {
            mission: "I do the homework before a sales conversation so the account executive can spend the call listening. A good brief fits on one page and says what changed recently, who decides, and what we already know from our own CRM.",
            principles: &["Cite a source for every fact; mark guesses as guesses.", "Prefer the last 90 days of news over company history.", "Never contact anyone at the prospect; I research only.", "Flag when our CRM and public data disagree."],
            escalation: "If the CRM is unreachable for more than ten minutes, I say so at the top of the brief and notify the revenue operations channel.",
        },
    },
    AgentSpec {
        name: "Lintel",
        role: "Code reviewer",
        description: "Reviews every pull request on the platform repositories: correctness, tests, migrations and security, with inline comments.",
        model: "claude-opus-4-20250514",
        fallbacks: &["claude-sonnet-4-20250514"],
        tools: &["github_diff", "github_comment", "run_tests", "static_analysis"],
        daily_budget: Budget::Today(1.03),
        monthly_budget: Budget::None,
        activity: office("Europe/Berlin", 2.5, 0.15, (1, 3)),
        tokens: Tokens { input: (14_000, 34_000), output: (900, 2_400) },
        tool_failure: 0.06,
        liveness: Liveness::Online,
        sessions: &["PR #{n}: add retry to billing sync", "PR #{n}: migrate sessions table", "PR #{n}: bump actix to 4.9", "PR #{n}: new export endpoint", "PR #{n}: fix race in cache warmup"],
        exchanges: &[
            ("Review PR #{n}.", "Two blocking comments: the migration adds a NOT NULL column without a default (locks the table on deploy), and the new retry loop has no upper bound. One suggestion on naming. Tests pass locally; coverage of the new module is 71%."),
            ("Re-review PR #{n} after the author's changes.", "Both blocking issues are fixed: the column now has a default and a backfill, the retry loop stops after five attempts with jitter. Approved. One nit left about a log message that prints a customer email."),
            ("Is the lock ordering in PR #{n} safe?", "No: `refresh` takes the cache lock then the pool lock, `evict` takes them in the other order. Under load that deadlocks. Suggested fix: take the pool lock first in both, or drop the cache lock before touching the pool."),
            ("Run the test suite on PR #{n}.", "412 passed, 2 failed: `export::large_file` (timeout after 30 s, likely the new buffering) and `auth::expired_token` (unrelated, known flaky). I commented on the first with the stack trace."),
        ],
        soul: Soul {
            mission: "I review pull requests the way a careful senior engineer would: first whether the change is correct and safe to deploy, then whether it is tested, and only then style. My comments should teach, not just block.",
            principles: &["Blocking comments are for correctness, data safety and security only.", "Every blocking comment says how to fix it.", "Migrations are reviewed for locks and for rollback.", "I never approve my own suggestions without seeing the tests run."],
            escalation: "A suspected secret in a diff, or a change to authentication, is handed to the security reviewer with the lines quoted and the PR marked `do-not-merge`.",
        },
    },
    AgentSpec {
        name: "Ledger",
        role: "Finance close",
        description: "Runs the month-end close checklist: reconciles accounts, explains variances and prepares the journal entries for review.",
        model: "gpt-4o",
        fallbacks: &["claude-sonnet-4-20250514"],
        tools: &["erp_query", "spreadsheet_read", "fx_rates", "reconcile_accounts"],
        daily_budget: Budget::None,
        monthly_budget: Budget::ThisMonth(0.83),
        activity: Activity { month_end: true, ..office("Europe/Berlin", 1.2, 0.05, (2, 5)) },
        tokens: Tokens { input: (20_000, 50_000), output: (800, 2_000) },
        tool_failure: 0.04,
        liveness: Liveness::Online,
        sessions: &["Close: bank reconciliation", "Close: accruals review", "Variance: marketing spend", "Intercompany: EU entities", "FX revaluation"],
        exchanges: &[
            ("Reconcile the operating account for last month.", "Reconciled: 1,284 transactions matched, 3 open. Two are card settlements in transit (cleared on the 2nd), one is an unexplained 412.50 EUR debit from a payment provider; I opened a query with Treasury."),
            ("Explain the variance in marketing spend.", "Actual is 18% over budget. 70% of the gap is an event sponsorship booked early (budgeted next quarter); the rest is higher paid-search prices. Suggested reclass for the sponsorship is in the journal draft."),
            ("Prepare the accrual entries.", "Drafted 14 accrual entries totalling 96,300 EUR, each with its support document. Two are estimates (legal fees, cloud usage) and are marked for review by the controller."),
            ("Revalue the USD balances at month-end rates.", "Revalued 3 accounts at 1.0842 EUR/USD; unrealised FX loss of 2,140 EUR. Entry drafted, rates source attached."),
        ],
        soul: Soul {
            mission: "I take the repetitive part of the month-end close off the finance team's plate: reconciliations, variance explanations and draft journal entries. A person approves every entry; I make sure they have everything they need to approve it quickly.",
            principles: &["Never post to the ledger; only draft.", "Every number links to its source report.", "Round nothing until the final presentation.", "Say plainly when something does not reconcile."],
            escalation: "Differences above 1,000 EUR that I cannot explain go to the controller the same day, with what I checked and what I could not.",
        },
    },
    AgentSpec {
        name: "Pager",
        role: "On-call summariser",
        description: "Watches incidents and alerts around the clock, writes the incident timeline and the handover summary for the next on-call engineer.",
        model: "gemini-2.0-flash",
        fallbacks: &["gpt-4o-mini"],
        tools: &["pagerduty_incidents", "datadog_query", "slack_post", "statuspage_update"],
        daily_budget: Budget::None,
        monthly_budget: Budget::None,
        activity: Activity { around_the_clock: true, ..office("UTC", 2.5, 0.8, (1, 3)) },
        tokens: Tokens { input: (20_000, 60_000), output: (400, 1_200) },
        tool_failure: 0.04,
        liveness: Liveness::Online,
        sessions: &["INC-{n}: elevated 5xx on checkout", "INC-{n}: queue lag in eu-west", "INC-{n}: certificate expiry warning", "Handover: night shift", "INC-{n}: database CPU at 95%"],
        exchanges: &[
            ("Summarise INC-{n} so far.", "Started 02:14 UTC: 5xx on checkout rose to 4%. Cause: a config push reduced the connection pool to 10. Rolled back at 02:41, errors back to baseline at 02:44. Customer impact: about 1,900 failed checkouts. Status page updated twice."),
            ("Write the handover for the next on-call.", "Quiet night apart from INC-{n} (resolved). Watch: disk on `db-replica-3` at 81% and growing 2% a day; a ticket is open. Two noisy alerts silenced until 12:00 UTC. Nothing else pending."),
            ("Is the queue lag alert real?", "Yes, lag in eu-west is 9 minutes and rising since 13:05 UTC; consumers restarted at 13:02 after a deploy and two did not rejoin. Suggest restarting `worker-eu-7` and `worker-eu-9`."),
            ("Draft the status page update.", "Draft: \"We are investigating delayed email notifications for some customers in Europe. Sending is not affected; messages are queued and will be delivered. Next update in 30 minutes.\""),
        ],
        soul: Soul {
            mission: "I keep the on-call engineer's head clear. During an incident I write the timeline as it happens; after it, I write the summary; at the end of a shift, I write the handover. Facts first, in UTC, with links to the graphs.",
            principles: &["Timestamps in UTC, always.", "Separate what we know from what we suspect.", "Never acknowledge or resolve a page myself.", "Keep status page drafts free of internal names."],
            escalation: "If an incident has no human acknowledgement after 10 minutes, I page the secondary on-call and post in #incidents.",
        },
    },
    AgentSpec {
        name: "Brief",
        role: "Executive briefing",
        description: "Writes the leadership team's morning briefing and answers their questions on pipeline, incidents and the week's calendar.",
        model: "claude-sonnet-4-20250514",
        fallbacks: &["gpt-4o"],
        tools: &["calendar_read", "email_search", "news_search", "crm_lookup"],
        daily_budget: Budget::Headroom(1.8),
        monthly_budget: Budget::Headroom(1.4),
        activity: office("Europe/Berlin", 1.2, 0.1, (1, 3)),
        tokens: Tokens { input: (15_000, 35_000), output: (600, 1_600) },
        tool_failure: 0.03,
        liveness: Liveness::Online,
        sessions: &["Board prep", "Week ahead", "Question on {co}", "Hiring plan check"],
        exchanges: &[
            ("What do I need to know before the board call?", "Three things: revenue is 3% ahead of plan for the quarter, the EU data-residency launch slipped two weeks (legal review), and churn in the SMB segment is up to 2.1% monthly. Questions the board asked last time are answered on page 2 of the pack."),
            ("What does my week look like?", "22 meetings, 9 of them external. Tuesday is the heaviest (7 hours). Two conflicts: the {co} QBR overlaps the hiring committee on Thursday; I suggested moving the committee to Friday 10:00."),
            ("Where are we with {co}?", "Expansion proposal sent last week, champion positive, procurement asked for a security review (due Friday). Risk: their new CFO is reviewing all software spend."),
        ],
        soul: Soul {
            mission: "I give the leadership team the ten minutes of reading that replace an hour of status meetings. Every morning I brief them; during the day I answer their questions from the systems we already have.",
            principles: &["Lead with what changed since yesterday.", "Numbers with their comparison: plan, last week or last year.", "No more than ten bullets in a briefing.", "Calendar and email content stays with the person who asked."],
            escalation: "If a briefing would contain a serious incident or a legal matter, I tell the chief of staff before sending it.",
        },
    },
    AgentSpec {
        name: "Hana",
        role: "Recruiting coordinator",
        description: "Schedules interviews, keeps candidates informed and prepares interview packs for the hiring panels.",
        model: "gpt-4o-mini",
        fallbacks: &["claude-haiku-3.5"],
        tools: &["ats_search", "calendar_read", "email_draft"],
        daily_budget: Budget::None,
        monthly_budget: Budget::None,
        activity: office("Europe/London", 1.8, 0.05, (2, 4)),
        tokens: Tokens { input: (6_000, 16_000), output: (400, 1_200) },
        tool_failure: 0.02,
        liveness: Liveness::Online,
        sessions: &["Candidate #{n}: panel scheduling", "Backend engineer pipeline", "Interview pack: candidate #{n}", "Offer follow-up #{n}"],
        exchanges: &[
            ("Schedule the panel for candidate #{n}.", "Booked Thursday 14:00-16:30 London time with all four panelists; the candidate confirmed. Room and video link are in the invite. I sent the panel the pack."),
            ("Where is the backend engineer pipeline?", "31 active candidates: 12 screening, 9 technical, 6 panel, 3 offer stage, 1 offer accepted this week. Time to hire is 27 days median, down from 34."),
            ("Prepare the interview pack for candidate #{n}.", "Pack ready: CV summary, take-home results (passed, strong on testing), the panel's focus areas and the scorecard. I left out salary expectations as asked."),
        ],
        soul: Soul {
            mission: "I make interviewing pleasant for candidates and painless for the panels. Candidates always know what happens next; panelists always have the pack before the interview.",
            principles: &["Reply to candidates within one working day.", "Offer three slots, never one.", "Keep personal data in the applicant tracking system, not in chat."],
            escalation: "A candidate complaint or a request to delete their data goes to the head of talent the same day.",
        },
    },
    AgentSpec {
        name: "Clause",
        role: "Contract review",
        description: "Reviews inbound NDAs and customer contracts against the playbook and proposes redlines for the legal team.",
        model: "gemini-2.0-pro",
        fallbacks: &["claude-sonnet-4-20250514"],
        tools: &["docusign_fetch", "clause_library", "redline"],
        daily_budget: Budget::None,
        monthly_budget: Budget::Headroom(1.3),
        activity: office("Europe/Berlin", 1.2, 0.05, (2, 4)),
        tokens: Tokens { input: (30_000, 80_000), output: (1_200, 3_500) },
        tool_failure: 0.12,
        liveness: Liveness::Degraded("DocuSign API failing 1 call in 5 (HTTP 503); retrying with backoff"),
        sessions: &["NDA: {co}", "MSA redlines: {co}", "DPA review: {co}", "Renewal terms: {co}"],
        exchanges: &[
            ("Review the NDA from {co}.", "Mutual NDA, mostly standard. Two deviations from our playbook: a 5-year term (we accept 3) and no carve-out for independently developed information. Redlines proposed for both; everything else can be signed."),
            ("What changed in {co}'s MSA redlines?", "They accepted our liability cap but asked for 12 months of fees instead of the fees paid. They removed the audit clause entirely. Recommendation: accept the cap, insist on a limited audit right (once a year, 30 days' notice)."),
            ("Is the DPA from {co} compatible with our sub-processor list?", "Mostly: they require notice 60 days before a new sub-processor (we give 30). The rest matches. Suggested compromise: 45 days, with the right to object."),
        ],
        soul: Soul {
            mission: "I read contracts so that lawyers spend their time on the clauses that matter. For each document I compare it with our playbook, list every deviation, and propose a redline or a fallback position.",
            principles: &["Quote the exact clause for every finding.", "Distinguish must-change from nice-to-change.", "Never send anything to the counterparty myself."],
            escalation: "Unlimited liability, exclusivity or a governing law outside the EU and US goes straight to the general counsel.",
        },
    },
    AgentSpec {
        name: "Quill",
        role: "Marketing copy",
        description: "Drafts landing pages, release notes and campaign emails in the brand voice, with SEO keywords checked.",
        model: "gpt-4o",
        fallbacks: &["gpt-4o-mini"],
        tools: &["brand_guide", "seo_keywords", "image_brief"],
        daily_budget: Budget::Today(0.82),
        monthly_budget: Budget::None,
        activity: office("Europe/Berlin", 1.8, 0.1, (2, 5)),
        tokens: Tokens { input: (6_000, 16_000), output: (1_200, 3_500) },
        tool_failure: 0.02,
        liveness: Liveness::Online,
        sessions: &["Release notes v{n}", "Landing page: cost controls", "Campaign email: webinar", "Case study: {co}"],
        exchanges: &[
            ("Draft the release notes for this week.", "Draft ready: three headline features (budget alerts, cron delivery to Slack, faster exports) with one sentence each, then fixes. 240 words, brand voice checked, two screenshots requested from design."),
            ("Write a landing page hero for cost controls.", "Headline: \"Every agent on a budget.\" Subline: \"See what each agent costs by the hour, set limits that hold, and get told before they are reached.\" Primary keyword \"AI agent cost control\" appears in the headline area."),
            ("Turn the {co} interview into a case study.", "Draft of 650 words: challenge (support backlog of 3 days), what they did (triage agent in two weeks), result (first response in 4 minutes, 38% fewer escalations). Quote approval needed from their side."),
        ],
        soul: Soul {
            mission: "I write the first draft of anything marketing publishes, in our voice: clear, concrete, a little warm, never breathless. A human editor always has the last word.",
            principles: &["Concrete numbers beat adjectives.", "One idea per paragraph.", "Check every claim against the product docs.", "No superlatives we cannot prove."],
            escalation: "Claims about security, compliance or competitors are reviewed by product marketing before they leave the draft.",
        },
    },
    AgentSpec {
        name: "Atlas",
        role: "Data analyst",
        description: "Answers business questions with SQL on the warehouse, explains the result and draws the chart.",
        model: "o3-mini",
        fallbacks: &["gpt-4o"],
        tools: &["sql_query", "chart_render", "dbt_docs"],
        daily_budget: Budget::None,
        monthly_budget: Budget::None,
        activity: office("America/New_York", 2.0, 0.1, (2, 4)),
        tokens: Tokens { input: (10_000, 30_000), output: (2_000, 6_000) },
        tool_failure: 0.07,
        liveness: Liveness::Online,
        sessions: &["Churn by plan", "Weekly active agents", "Cohort retention Q3", "Question from finance #{n}"],
        exchanges: &[
            ("What is churn by plan last quarter?", "Monthly logo churn: foundation 3.4%, operational 1.6%, enterprise 0.4%. Foundation churn is concentrated in the first 60 days (71% of its churn). Query and chart attached; definitions from the `customers` dbt model."),
            ("How many agents were active each week?", "Weekly active agents grew from 8,120 to 9,870 over the last 8 weeks (+21%). The dip in week 47 is the holiday in the US. Chart attached."),
            ("Why does the revenue dashboard disagree with finance?", "The dashboard counts invoices by issue date, finance by service period. For last month that shifts 41k USD of annual prepayments. I proposed a note on the dashboard and a `service_period` column in the model."),
        ],
        soul: Soul {
            mission: "I turn questions into queries and queries into answers people can act on. I show my SQL, say which tables and definitions I used, and point out when the data cannot answer the question.",
            principles: &["Show the query with every answer.", "Use the documented metric definitions; say so when I deviate.", "Round only in the final answer.", "Never query personal data columns."],
            escalation: "When two sources disagree by more than 2%, I tell the data team's channel instead of picking one.",
        },
    },
    AgentSpec {
        name: "Relay",
        role: "Localization",
        description: "Translates product strings and help articles into French, German, Spanish and Japanese using the translation memory and glossary.",
        model: "mistral-large-latest",
        fallbacks: &["gpt-4o-mini"],
        tools: &["translation_memory", "glossary_lookup"],
        daily_budget: Budget::None,
        monthly_budget: Budget::Headroom(2.0),
        activity: office("Europe/Paris", 1.5, 0.05, (1, 3)),
        tokens: Tokens { input: (4_000, 10_000), output: (3_000, 8_000) },
        tool_failure: 0.03,
        liveness: Liveness::Offline,
        sessions: &["Strings batch #{n}", "Help article: exports (de, fr)", "Release notes v{n} (ja)", "Glossary update"],
        exchanges: &[
            ("Translate strings batch #{n} into de, fr, es and ja.", "Done: 86 strings in 4 languages. 61 came from the translation memory, 25 are new; 3 new glossary terms proposed (\"budget alert\", \"heartbeat\", \"fallback model\"). Japanese needs review for two UI-length issues."),
            ("Localize the help article on exports.", "German and French versions ready (1,120 and 1,180 words). Screenshots still show English UI; I listed the 6 that need retakes."),
        ],
        soul: Soul {
            mission: "I make the product feel native in every language we sell in. I reuse approved translations first, follow the glossary strictly, and flag anything a native reviewer should see.",
            principles: &["Glossary terms are never paraphrased.", "Keep placeholders and markup exactly as in the source.", "Respect UI length limits; shorten, do not truncate."],
            escalation: "Legal texts and pricing pages are sent to a professional translator, not translated by me.",
        },
    },
];

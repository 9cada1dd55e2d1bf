//! The enums of query parameters: the API parses them by these wire names and its OpenAPI
//! document lists the same names.

use serde::{Deserialize, Serialize};

wire_enum! {
    /// `asc` or `desc`.
    SortOrder { Asc = "asc", Desc = "desc" }
}

wire_enum! {
    /// The size of a bucket of a metrics series: `hour` or `day`.
    Granularity { Hour = "hour", Day = "day" }
}

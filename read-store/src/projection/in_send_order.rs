//! The answers of requests sent together on one connection, checked in the order they were
//! sent.
//!
//! Once a statement of a transaction fails, the server fails every statement after it with
//! "current transaction is aborted" (SQLSTATE 25P02), and their answers follow its own at once.
//! `futures::try_join!` returns the first error it polls ready, and the connection's task (on
//! another thread) can hand out an answer while the futures before it are being polled: a
//! statement after the failed one could then be reported instead of the failure itself. The
//! projector decides by that error whether a record is passed over
//! ([`crate::StoreError::is_deterministic`]), and 25P02 is no cause: a rebuild failed on it
//! about once in a hundred runs. So requests sent together are joined with `futures::join!`
//! (every answer comes, in order, fast after a failure) and their results checked with
//! [`InSendOrder::in_send_order`].

/// A tuple of results, checked in order: the first error, or every value.
pub(crate) trait InSendOrder {
    type Output;
    type Error;

    fn in_send_order(self) -> Result<Self::Output, Self::Error>;
}

macro_rules! in_send_order_for_tuples {
    ($(($($value:ident $index:tt),+))+) => {$(
        impl<E, $($value),+> InSendOrder for ($(Result<$value, E>,)+) {
            type Output = ($($value,)+);
            type Error = E;

            fn in_send_order(self) -> Result<Self::Output, E> {
                // A tuple expression evaluates its elements left to right.
                Ok(($(self.$index?,)+))
            }
        }
    )+};
}

in_send_order_for_tuples! {
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3, F 4, G 5, H 6, I 7, J 8, K 9, L 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Answer<T> = Result<T, &'static str>;

    #[test]
    fn the_first_error_in_order_is_returned_whatever_follows() {
        let results: (Answer<u8>, Answer<()>, Answer<u8>) =
            (Ok(1), Err("the cause"), Err("aborted"));
        assert_eq!(results.in_send_order(), Err("the cause"));
        let results: (Answer<u8>, Answer<u8>) = (Err("the cause"), Err("aborted"));
        assert_eq!(results.in_send_order(), Err("the cause"));
        let results: (Answer<u8>, Answer<&str>) = (Ok(1), Ok("two"));
        assert_eq!(results.in_send_order(), Ok((1, "two")));
    }
}

//! Array parameters compared by `= ANY($n)` (`sql::array_param_json`): their values,
//! PostgreSQL's array text, are sent to SQLite as JSON arrays. Touches nothing else
//! of a statement or its parameters.

use super::{PgError, Value};
use crate::error::codes;
use crate::sql::Translated;

/// Array parameters compared by `= ANY($n)` travel as JSON arrays (see
/// `sql::array_param_json`); a value that is not an array is 22P02.
pub(super) fn as_json(t: &Translated, mut params: Vec<Value>) -> Result<Vec<Value>, PgError> {
    for &index in &t.array_params {
        let ty = index
            .checked_sub(1)
            .and_then(|i| t.param_types.get(i).copied().flatten());
        let Some(slot) = index.checked_sub(1).and_then(|i| params.get_mut(i)) else {
            continue;
        };
        let text = match std::mem::replace(slot, Value::Null) {
            Value::Null => continue,
            Value::Text(text) => text,
            other => {
                return Err(PgError::new(
                    codes::INVALID_TEXT_REPRESENTATION,
                    format!("malformed array literal: parameter ${index} is {other:?}"),
                ));
            }
        };
        *slot = Value::Text(crate::sql::array_param_json(&text, ty).map_err(PgError::from)?);
    }
    Ok(params)
}

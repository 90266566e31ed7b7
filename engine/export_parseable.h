/* export_parseable — an event flattened as Parseable flattens it at
 * ingestion (src/utils/json/flatten.rs: flatten, flatten_object,
 * flatten_array_objects), so the stream's columns are exactly those that
 * Vector shipping Tetragon's file would have produced:
 *
 *   - nested keys join with "_": {"a":{"b":1}} -> {"a_b":1};
 *   - an array holding an object becomes one array column per key, one
 *     element per array element, null where an element lacks the key:
 *     {"k":[{"a":1},{"a":2,"b":3}]} -> {"k_a":[1,2],"k_b":[null,3]}
 *     (nested arrays of objects nest: {"k_a_p":[[...],null]});
 *   - other arrays and nulls are kept as they are;
 *   - a leading "@" in a column name becomes "_" (Parseable's
 *     normalize_field_name); other characters are kept, dots and slashes
 *     included, as Parseable keeps them.
 *
 * An array mixing objects with other values, which Parseable refuses
 * ("Found non-object element while flattening array of objects"), is kept
 * unflattened under its key, so the event still reaches the stream. */
#ifndef BPFALERT_EXPORT_PARSEABLE_H
#define BPFALERT_EXPORT_PARSEABLE_H

struct json_object;

/* A new flat object (the caller puts it); `ev` is left unchanged. */
struct json_object *export_parseable_flatten(struct json_object *ev);

#endif

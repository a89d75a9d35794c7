/** A value of the `JSON` scalar: any JSON value (RFC 8259). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The name rules, each with the sentence that states it: the check and the text shown to people
 * come from the same constants, so a help text cannot promise what the check refuses.
 */

/** An app's name is one OCI path component (the second part of the repository name). */
export const APP_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
export const APP_NAME_MAX = 64;
export const APP_NAME_RULE = `1-${APP_NAME_MAX} lower-case letters and digits, separated by . _ __ or -`;

/**
 * Namespace names: users and organisations share one space, and each is the first path component
 * of its repositories, so the grammar is the OCI path-component grammar, kept short and lower case.
 */
export const NAMESPACE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const NAMESPACE_MIN = 2;
export const NAMESPACE_MAX = 32;
export const NAMESPACE_NAME_RULE = `${NAMESPACE_MIN}-${NAMESPACE_MAX} lower-case letters and digits, separated by single . _ or -`;

/** The largest logo an app may have. */
export const MAX_LOGO_BYTES = 256 * 1024;
export const LOGO_RULE = `PNG, JPEG or SVG, at most ${MAX_LOGO_BYTES / 1024} KiB`;

/** An app's screenshots: how many, how large each, and the caption's length. */
export const MAX_SCREENSHOTS = 8;
export const MAX_SCREENSHOT_BYTES = 2 * 1024 * 1024;
export const MAX_SCREENSHOT_CAPTION = 200;
export const SCREENSHOT_RULE = `PNG, JPEG or WebP, at most ${MAX_SCREENSHOT_BYTES / 1024 / 1024} MiB each, ${MAX_SCREENSHOTS} per app`;

/** A package's name: the API, the web and the Rainstore market all name packages so. */
export const PACKAGE_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,63}$/;
export const PACKAGE_NAME_RULE = '1-64 letters, digits, . _ or -, not starting with . or -';

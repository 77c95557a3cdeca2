/**
 * The uv version dhtl is built and tested against. One pinned version, so a project set up
 * today behaves the same next month; bump it deliberately (and the test assets with it).
 */
export const UV_VERSION = "0.13.9";

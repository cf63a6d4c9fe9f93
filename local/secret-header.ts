/** The header that carries the local stack's secret. Kept apart from guard.ts so that callers in any runtime can import it. */
export const LOCAL_SECRET_HEADER = "x-ctx4-local-secret";

import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./app/lib/db/schema.ts",
  out: "./drizzle",
  // `drizzle-kit migrate` applies drizzle/ to the database DATABASE_URL names (production: see the
  // README's deploy checklist); `drizzle-kit generate` needs no database.
  ...(process.env.DATABASE_URL ? { dbCredentials: { url: process.env.DATABASE_URL } } : {}),
});

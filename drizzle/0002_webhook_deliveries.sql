CREATE TABLE "github_webhook_deliveries" (
	"delivery_id" uuid PRIMARY KEY NOT NULL,
	"handled_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "github_webhook_deliveries" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE INDEX "github_webhook_deliveries_handled_at_idx" ON "github_webhook_deliveries" USING btree ("handled_at");
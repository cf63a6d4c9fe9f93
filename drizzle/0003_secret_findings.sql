CREATE TABLE "allowed_secret_findings" (
	"user_id" uuid NOT NULL,
	"fingerprint" text NOT NULL,
	"rule" text NOT NULL,
	"path" text NOT NULL,
	"allowed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "allowed_secret_findings_user_id_fingerprint_pk" PRIMARY KEY("user_id","fingerprint")
);
--> statement-breakpoint
ALTER TABLE "allowed_secret_findings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "secret_findings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"fingerprint" text NOT NULL,
	"rule" text NOT NULL,
	"path" text NOT NULL,
	"line" integer NOT NULL,
	"excerpt" text NOT NULL,
	"commit_sha" text NOT NULL,
	"client_name" text,
	"refused_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "secret_findings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE INDEX "secret_findings_user_id_idx" ON "secret_findings" USING btree ("user_id");
import type { ReactNode } from "react";
import { Form, Link } from "react-router";

/** The frame of every page: the product name, who is signed in, and the content. */
export function Page({ email, children }: { email?: string | null; children: ReactNode }) {
  return (
    <div className="min-h-screen">
      <header className="border-b border-stone-200 bg-white">
        <div className="mx-auto flex max-w-4xl items-center justify-between gap-4 px-4 py-3 sm:px-6">
          <Link to="/" className="font-semibold tracking-tight">
            ctx4-ai
          </Link>
          {email ? (
            <div className="flex items-center gap-3 text-sm text-stone-600">
              <span className="hidden sm:inline">{email}</span>
              <Form method="post" action="/logout">
                <button type="submit" className="underline underline-offset-4 hover:text-stone-900">
                  Sign out
                </button>
              </Form>
            </div>
          ) : (
            <Link to="/login" className="text-sm underline underline-offset-4">
              Sign in
            </Link>
          )}
        </div>
      </header>
      <main className="mx-auto max-w-4xl px-4 py-10 sm:px-6">{children}</main>
    </div>
  );
}

import type { ServerResponse } from "node:http";
import { linkHeader } from "./http";

/** GitHub's list paging: `per_page` 30 by default and at most 100, `page` from 1, a `Link` header. */
export function paginate<T>(url: URL, items: T[], response: ServerResponse): T[] {
  const perPage = Math.min(100, positiveInt(url.searchParams.get("per_page")) ?? 30);
  const page = positiveInt(url.searchParams.get("page")) ?? 1;
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const link = linkHeader(url, page, lastPage);
  if (link) response.setHeader("link", link);
  return items.slice((page - 1) * perPage, page * perPage);
}

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const parsed = Number(value);
  return parsed > 0 ? parsed : undefined;
}

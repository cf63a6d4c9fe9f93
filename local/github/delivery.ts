/** One webhook delivery and its outcome, as the control API reports it. */
export type Delivery = {
  id: string;
  event: string;
  action: string | null;
  deliveredAt: string | null;
  status: "pending" | "delivered" | "failed" | "skipped";
  statusCode: number | null;
  error: string | null;
  payload: Record<string, unknown>;
};

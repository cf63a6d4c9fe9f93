import type { ComponentProps } from "react";
import { useNavigation } from "react-router";

const variants = {
  primary: "bg-stone-900 text-white hover:bg-stone-700 focus-visible:outline-stone-900",
  secondary: "bg-white text-stone-900 ring-1 ring-stone-300 hover:bg-stone-100 focus-visible:outline-stone-900",
  danger: "bg-red-700 text-white hover:bg-red-600 focus-visible:outline-red-700",
};

export const buttonClass = (variant: keyof typeof variants = "primary") =>
  `inline-flex items-center justify-center gap-2 rounded-md px-4 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 disabled:opacity-60 ${variants[variant]}`;

/**
 * A submit button that shows `pendingLabel` while its form is being submitted, so a slow
 * GitHub round trip never looks like a dead click.
 */
export function SubmitButton({
  children,
  pendingLabel,
  variant,
  name,
  value,
  ...props
}: ComponentProps<"button"> & { pendingLabel: string; variant?: keyof typeof variants }) {
  const navigation = useNavigation();
  const pending =
    navigation.state !== "idle" &&
    navigation.formData !== undefined &&
    (name === undefined || navigation.formData.get(name) === value);
  return (
    <button
      type="submit"
      name={name}
      value={value}
      disabled={pending}
      aria-busy={pending}
      className={buttonClass(variant)}
      {...props}
    >
      {pending ? pendingLabel : children}
    </button>
  );
}

/** Names of AI clients as a sentence fragment: "Claude", "Claude and Cursor", "Claude, Cursor and Zed". */
export function ClientNames({ names }: { names: string[] }) {
  const strong = names.map((name, index) => (
    // Two clients may carry one name; their place tells them apart.
    // biome-ignore lint/suspicious/noArrayIndexKey: the list is fixed for the render.
    <strong key={index}>{name}</strong>
  ));
  if (strong.length <= 1) return <>{strong}</>;
  return (
    <>
      {strong.slice(0, -1).flatMap((name, index) => (index === 0 ? [name] : [", ", name]))}
      {" and "}
      {strong.at(-1)}
    </>
  );
}

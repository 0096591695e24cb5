import type { ComponentChildren } from 'preact';
import { href } from '../route';

/** A table with a caption (for screen readers only unless `visible`) and column headers. */
export function ListTable({
  caption,
  columns,
  children,
  id,
  visibleCaption = false,
  class: className = 'list',
}: {
  caption: string;
  columns: string[];
  children: ComponentChildren;
  id?: string;
  visibleCaption?: boolean;
  class?: string;
}) {
  return (
    <table class={className} id={id}>
      <caption class={visibleCaption ? undefined : 'sr-only'}>{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** One object as a card: its name, extra facts, a link to its history stream, and its content. */
export function Card({
  label,
  title,
  stream,
  facts,
  children,
}: {
  label: string;
  title: string;
  stream: string;
  facts?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <article class="card" aria-label={label}>
      <h2>
        {title} {facts}{' '}
        <a class="small" href={href(['events'], { stream })}>
          history
        </a>
      </h2>
      {children}
    </article>
  );
}

import { Link } from 'wouter';
import { PageHeader } from '../components/bits';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no such page in the console. <Link to="/">Back to the fleet</Link>.
      </p>
    </>
  );
}

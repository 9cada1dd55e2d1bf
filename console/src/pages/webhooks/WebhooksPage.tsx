// Webhooks: the endpoints, a new one, and an endpoint with its deliveries.
import { Route, Routes } from '../../router';
import { NotFoundPage } from '../NotFoundPage';
import { WebhookForm } from './WebhookForm';
import { WebhookList } from './WebhookList';
import { WebhookPage } from './WebhookPage';

export function WebhooksPage() {
  return (
    <Routes>
      <Route index element={<WebhookList />} />
      <Route path="new" element={<WebhookForm />} />
      <Route path=":webhookId" element={<WebhookPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

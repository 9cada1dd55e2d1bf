// Cron jobs: the list, a job with its runs, and the create and edit forms.
import { Route, Routes } from '../../router';
import { NotFoundPage } from '../NotFoundPage';
import { CronForm } from './CronForm';
import { CronJobPage } from './CronJobPage';
import { CronList } from './CronList';

export function CronPage() {
  return (
    <Routes>
      <Route index element={<CronList />} />
      <Route path="new" element={<CronForm />} />
      <Route path=":jobId" element={<CronJobPage />} />
      <Route path=":jobId/edit" element={<CronForm />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

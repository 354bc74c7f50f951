print("review-job: coming with the queue issue")
